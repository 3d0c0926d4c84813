"""Reductions with PyTorch's ``dim``/``keepdim``: sum, mean, max, min.

``dim=None`` reduces over all axes.  ``max``/``min`` without ``dim`` return
one value and share the gradient equally among tied maxima (as
``torch.amax``); with an int ``dim`` they return ``(values, indices)`` like
PyTorch and the gradient flows to the returned index only.
"""
from __future__ import annotations

import builtins
import math
from collections import namedtuple

from ..function import as_tensors, record

MaxMin = namedtuple("MaxMin", ["values", "indices"])


def normalize_dims(dim, ndim, name="dim"):
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    limit = builtins.max(ndim, 1)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int) or not -limit <= d < limit:
            raise ValueError(f"{name} must be an int in [{-limit}, {limit - 1}] "
                             f"for a {ndim}-d tensor; got {d!r}")
        out.append(d % limit)
    if len(set(out)) != len(out):
        raise ValueError(f"{name} has repeated axes: {dim!r}")
    return tuple(sorted(out)) if ndim else ()


def reduction_dims(dim, ndim):
    """:func:`normalize_dims` for ``sum``/``mean``: an empty ``dim`` list or tuple
    reduces over every axis, as PyTorch (``x.sum(dim=[])`` is ``x.sum()``)."""
    if dim is not None and not isinstance(dim, int):
        dim = tuple(dim) or None
    return normalize_dims(dim, ndim)


def _expand_back(xp, g, shape, dims, keepdim):
    """Reshape the reduced gradient so it broadcasts against the input again."""
    if not keepdim:
        g = xp.reshape(g, tuple(1 if i in dims else n for i, n in enumerate(shape)))
    return g


def sum(x, dim=None, keepdim=False):
    """Sum over ``dim`` (an int or tuple; all axes for None or ``[]``); ``keepdim`` keeps them as 1.

    Each input element gets the gradient of its sum.  An empty axis sums to 0.

    >>> import xpnet
    >>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.sum().item(), x.sum(dim=0).tolist(), x.sum(1, keepdim=True).shape
    (10.0, [4.0, 6.0], (2, 1))

    See also: :meth:`Tensor.mean`.
    """
    x, = as_tensors(x)
    xp, dims, shape = x.backend.xp, reduction_dims(dim, x.ndim), tuple(x.shape)
    y = xp.sum(x.data, axis=dims, keepdims=keepdim)

    def backward(g):
        return (xp.broadcast_to(_expand_back(xp, g, shape, dims, keepdim), shape),)
    return record(y, (x,), backward)


def mean(x, dim=None, keepdim=False):
    """Mean ``sum / count`` over ``dim`` (an int or tuple; all axes for None or ``[]``).

    Each element gets ``g / count``.  The mean of an empty axis is NaN, as PyTorch.

    >>> import xpnet
    >>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.mean().item(), x.mean(dim=1).tolist()
    (2.5, [1.5, 3.5])

    See also: :meth:`Tensor.sum`.
    """
    x, = as_tensors(x)
    xp, dims, shape = x.backend.xp, reduction_dims(dim, x.ndim), tuple(x.shape)
    count = math.prod(shape[d] for d in dims)
    y = xp.mean(x.data, axis=dims, keepdims=keepdim)

    def backward(g):
        return (xp.broadcast_to(_expand_back(xp, g, shape, dims, keepdim) / count, shape),)
    return record(y, (x,), backward)


def _extreme(x, dim, keepdim, largest):
    x, = as_tensors(x)
    xp, shape = x.backend.xp, tuple(x.shape)
    if x.numel() == 0:
        raise ValueError(f"{'max' if largest else 'min'}() of an empty tensor (shape {shape})")
    pick = xp.max if largest else xp.min
    if dim is None:
        y = pick(x.data)

        def backward(g):
            mask = xp.astype(x.data == y, x.data.dtype)
            return (g * mask / xp.sum(mask),)
        return record(y, (x,), backward)
    if x.ndim == 0:  # dim 0 / -1 of a 0-d tensor (as PyTorch): the value itself, index 0
        normalize_dims(dim, 0)
        from .shape import reshape
        values, indices = _extreme(reshape(x, 1), 0, keepdim=False, largest=largest)
        return MaxMin(reshape(values, ()), indices)
    axis, = normalize_dims(dim, x.ndim)
    arg = (xp.argmax if largest else xp.argmin)(x.data, axis=axis, keepdims=True)
    values = xp.take_along_axis(x.data, arg, axis=axis)
    indices = arg if keepdim else xp.squeeze(arg, axis=axis)

    def backward(g):
        if not keepdim:
            g = xp.expand_dims(g, axis=axis)
        positions = xp.reshape(xp.arange(shape[axis]),
                               tuple(-1 if i == axis else 1 for i in range(len(shape))))
        return (xp.where(positions == arg, g, xp.zeros_like(g)),)
    values = values if keepdim else xp.squeeze(values, axis=axis)
    from ..tensor import Tensor
    return MaxMin(record(values, (x,), backward), Tensor(indices, x.backend))


def max(x, dim=None, keepdim=False):
    """Largest value (``dim=None``), or the named tuple ``(values, indices)`` along ``dim``.

    Without ``dim`` the gradient is shared equally among tied maxima (as
    ``torch.amax``); with ``dim`` it flows to the returned index only.  NaN is
    the largest value (it propagates).

    >>> import xpnet
    >>> x = xpnet.tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> x.max().item()
    7.0
    >>> values, indices = x.max(dim=1)
    >>> values.tolist(), indices.tolist()
    ([5.0, 7.0], [1, 0])

    See also: :meth:`Tensor.argmax`, :func:`xpnet.maximum` (elementwise).
    """
    return _extreme(x, dim, keepdim, True)


def min(x, dim=None, keepdim=False):
    """Smallest value (``dim=None``), or the named tuple ``(values, indices)`` along ``dim``.

    Gradients and NaN as :meth:`Tensor.max`.

    >>> import xpnet
    >>> x = xpnet.tensor([[1.0, 5.0], [7.0, 2.0]])
    >>> x.min().item(), x.min(dim=0).indices.tolist()
    (1.0, [0, 1])

    See also: :meth:`Tensor.argmin`, :func:`xpnet.minimum` (elementwise).
    """
    return _extreme(x, dim, keepdim, False)
