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
    """A tensor of zeros of shape ``size`` (``zeros(2, 3)`` or ``zeros((2, 3))``), float32 by default.

    >>> import xpnet
    >>> xpnet.zeros(2, 3).shape, xpnet.zeros(2, dtype="int64").tolist()
    ((2, 3), [0, 0])

    See also: :func:`xpnet.zeros_like`, :func:`xpnet.full`.
    """
    return full(size, 0, dtype=dtype, requires_grad=requires_grad, backend=backend)


def ones(*size, dtype="float32", requires_grad=False, backend=None) -> Tensor:
    """A tensor of ones of shape ``size`` (``ones(2, 3)`` or ``ones((2, 3))``), float32 by default.

    >>> import xpnet
    >>> xpnet.ones(2).tolist()
    [1.0, 1.0]

    See also: :func:`xpnet.ones_like`, :func:`xpnet.full`.
    """
    return full(size, 1, dtype=dtype, requires_grad=requires_grad, backend=backend)


def full(size, fill_value, dtype="float32", requires_grad=False, backend=None) -> Tensor:
    """A tensor of shape ``size`` (an int or tuple) filled with ``fill_value``, float32 by default.

    >>> import xpnet
    >>> xpnet.full((2, 2), 7.0).tolist()
    [[7.0, 7.0], [7.0, 7.0]]
    """
    be = get_backend(backend)
    arr = be.xp.full(_shape((size,) if hasattr(size, "__index__") else tuple(size)), fill_value,
                     dtype=be.xp_dtype(dtype))
    return Tensor(arr, be, requires_grad=requires_grad)


def zeros_like(t: Tensor, requires_grad=False) -> Tensor:
    """Zeros with the shape, dtype and backend of ``t``.

    >>> import xpnet
    >>> xpnet.zeros_like(xpnet.tensor([[1, 2]])).tolist()
    [[0, 0]]
    """
    return zeros(t.shape, dtype=t.dtype, requires_grad=requires_grad, backend=t.backend)


def ones_like(t: Tensor, requires_grad=False) -> Tensor:
    """Ones with the shape, dtype and backend of ``t``.

    >>> import xpnet
    >>> xpnet.ones_like(xpnet.zeros(2, dtype="float64")).dtype
    dtype('float64')
    """
    return ones(t.shape, dtype=t.dtype, requires_grad=requires_grad, backend=t.backend)


def arange(start, end=None, step=1, dtype=None, backend=None) -> Tensor:
    """``start, start + step, ...`` below ``end`` (``arange(n)`` is ``0..n-1``); 1-D.

    The dtype is int64 when all arguments are ints, else float32, unless
    ``dtype`` is given.  Never requires grad.

    >>> import xpnet
    >>> xpnet.arange(4).tolist(), xpnet.arange(0, 1, 0.25).tolist()
    ([0, 1, 2, 3], [0.0, 0.25, 0.5, 0.75])
    """
    host = numpy.arange(start, end, step) if end is not None else numpy.arange(start)
    if dtype is None:
        dtype = numpy.int64 if host.dtype.kind in "iu" else numpy.float32
    return _make(host, dtype, False, backend)


def rand(*size, dtype="float32", requires_grad=False, backend=None) -> Tensor:
    """Samples from the uniform distribution on ``[0, 1)`` in shape ``size``, float32 by default.

    Drawn on the host from the global generator (:func:`xpnet.manual_seed`),
    so a seed gives the same numbers on every backend.

    >>> import xpnet
    >>> _ = xpnet.manual_seed(0)
    >>> x = xpnet.rand(2, 3)
    >>> x.shape, bool(((x >= 0) * (x < 1)).numpy().all())
    ((2, 3), True)
    """
    return _make(default_generator().random(_shape(size)), dtype, requires_grad, backend)


def randn(*size, dtype="float32", requires_grad=False, backend=None) -> Tensor:
    """Samples from the standard normal ``N(0, 1)`` in shape ``size``, float32 by default.

    Drawn on the host from the global generator, as :func:`xpnet.rand`.

    >>> import xpnet
    >>> _ = xpnet.manual_seed(0)
    >>> xpnet.randn(3).numpy().round(3)
    array([ 0.126, -0.132,  0.64 ], dtype=float32)
    """
    return _make(default_generator().standard_normal(_shape(size)), dtype, requires_grad, backend)
