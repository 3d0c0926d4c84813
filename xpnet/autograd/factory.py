"""Tensor constructors with PyTorch's names: zeros, ones, full, arange, rand, randn.

Random constructors draw on the host from :func:`xpnet.random.default_generator`
(so a seed gives the same numbers on every backend), then move to the backend.
"""
from __future__ import annotations

import numpy

from ..backend import get_backend
from ..random import default_generator
from .ops.shape import shape_arg
from .tensor import Tensor


def _shape(size):
    size = shape_arg(size, "size")
    if any(s < 0 for s in size):
        raise ValueError(f"size must be non-negative ints; got {size}")
    return size


def _make(host, dtype, requires_grad, backend):
    be = get_backend(backend)
    arr = be.asarray(host, dtype=numpy.dtype(dtype) if dtype is not None else None)
    return Tensor(arr, be, requires_grad=requires_grad)


def zeros(*size, dtype="float32", requires_grad=False, backend=None) -> Tensor:
    """A tensor of zeros of shape ``size``."""
    return full(size, 0, dtype=dtype, requires_grad=requires_grad, backend=backend)


def ones(*size, dtype="float32", requires_grad=False, backend=None) -> Tensor:
    """A tensor of ones of shape ``size``."""
    return full(size, 1, dtype=dtype, requires_grad=requires_grad, backend=backend)


def full(size, fill_value, dtype="float32", requires_grad=False, backend=None) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``."""
    be = get_backend(backend)
    arr = be.xp.full(_shape((size,) if hasattr(size, "__index__") else tuple(size)), fill_value,
                     dtype=be.xp_dtype(dtype))
    return Tensor(arr, be, requires_grad=requires_grad)


def zeros_like(t: Tensor, requires_grad=False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype, requires_grad=requires_grad, backend=t.backend)


def ones_like(t: Tensor, requires_grad=False) -> Tensor:
    return ones(t.shape, dtype=t.dtype, requires_grad=requires_grad, backend=t.backend)


def arange(start, end=None, step=1, dtype=None, backend=None) -> Tensor:
    """``start, start+step, ...`` below ``end`` (int64 for ints, else float32)."""
    host = numpy.arange(start, end, step) if end is not None else numpy.arange(start)
    if dtype is None:
        dtype = numpy.int64 if host.dtype.kind in "iu" else numpy.float32
    return _make(host, dtype, False, backend)


def rand(*size, dtype="float32", requires_grad=False, backend=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    return _make(default_generator().random(_shape(size)), dtype, requires_grad, backend)


def randn(*size, dtype="float32", requires_grad=False, backend=None) -> Tensor:
    """Standard normal samples."""
    return _make(default_generator().standard_normal(_shape(size)), dtype, requires_grad, backend)
