"""Shape and indexing ops: reshape, transpose, permute, flatten, (un)squeeze, getitem, cat, stack, pad.

All are linear maps that move elements around, so each backward applies
the inverse movement to the gradient (``getitem`` scatters it back, adding
where an index repeats).
"""
from __future__ import annotations

import builtins

from ..function import as_tensors, record
from .reduce import normalize_dims


def shape_arg(shape, name="shape"):
    """``f(2, 3)`` or ``f((2, 3))`` as PyTorch takes sizes: a tuple of ints (no bools, no floats)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if any(isinstance(s, bool) or not hasattr(s, "__index__") for s in shape):
        raise ValueError(f"{name} must be ints; got {shape}")
    return tuple(int(s) for s in shape)


def reshape(x, *shape):
    """The same elements, in row-major order, in a new ``shape`` (one entry may be -1).

    ``x.reshape(2, 3)`` and ``x.reshape((2, 3))`` both work; ``-1`` is inferred
    from the element count.  ``Tensor.view`` is the same method.

    >>> import xpnet
    >>> xpnet.arange(6).reshape(2, -1).tolist()
    [[0, 1, 2], [3, 4, 5]]

    See also: :meth:`Tensor.flatten`, :meth:`Tensor.permute`.
    """
    x, = as_tensors(x)
    xp, src = x.backend.xp, tuple(x.shape)
    shape = shape_arg(shape)
    known = 1
    for s in shape:
        known *= s if s != -1 else 1
    if shape.count(-1) > 1 or (-1 not in shape and known != x.numel()) or \
            (-1 in shape and (known == 0 or x.numel() % known)):
        raise ValueError(f"reshape: cannot view a tensor of shape {src} ({x.numel()} elements) "
                         f"as shape {shape}")
    y = xp.reshape(x.data, shape)
    return record(y, (x,), lambda g: (xp.reshape(g, src),))


def permute(x, *dims):
    """Reorder the axes: output axis ``i`` is input axis ``dims[i]`` (a permutation).

    >>> import xpnet
    >>> xpnet.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)

    See also: :meth:`Tensor.transpose`, ``Tensor.T`` (all axes reversed).
    """
    x, = as_tensors(x)
    dims = shape_arg(dims, "dims")
    limit = builtins.max(x.ndim, 1)
    if builtins.any(not -limit <= d < limit for d in dims) or \
            sorted(d % limit for d in dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims must be a permutation of 0..{x.ndim - 1}; got {dims}")
    dims = tuple(d % x.ndim for d in dims)
    inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
    xp = x.backend.xp
    return record(xp.permute_dims(x.data, dims), (x,),
                  lambda g: (xp.permute_dims(g, inverse),))


def transpose(x, dim0, dim1):
    """Swap axes ``dim0`` and ``dim1`` (as ``torch.transpose``; negative dims count from the end).

    >>> import xpnet
    >>> xpnet.zeros(2, 3, 4).transpose(0, -1).shape
    (4, 3, 2)

    See also: :meth:`Tensor.permute`.
    """
    x, = as_tensors(x)
    if x.ndim == 0:  # dims 0 and -1 name a 0-d tensor's one position (as PyTorch)
        normalize_dims(dim0, 0, "dim0"), normalize_dims(dim1, 0, "dim1")
        return permute(x)
    a, = normalize_dims(dim0, x.ndim, "dim0")
    b, = normalize_dims(dim1, x.ndim, "dim1") if dim0 != dim1 else (a,)
    dims = list(range(x.ndim))
    dims[a], dims[b] = dims[b], dims[a]
    return permute(x, *dims)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim..end_dim`` (inclusive) into one; a 0-d tensor becomes shape (1,).

    >>> import xpnet
    >>> xpnet.zeros(8, 3, 4, 4).flatten(1).shape
    (8, 48)

    See also: :class:`xpnet.nn.Flatten` (``start_dim=1`` by default).
    """
    x, = as_tensors(x)
    start = normalize_dims(start_dim, x.ndim, "start_dim")  # a 0-d tensor: in [-1, 0], as torch
    end = normalize_dims(end_dim, x.ndim, "end_dim")
    if x.ndim == 0:
        return reshape(x, 1)
    (s,), (e,) = start, end
    if s > e:
        raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
    shape = tuple(x.shape)
    merged = 1
    for n in shape[s:e + 1]:
        merged *= n
    return reshape(x, shape[:s] + (merged,) + shape[e + 1:])


def unsqueeze(x, dim):
    """Insert an axis of length 1 at position ``dim`` (in ``[-ndim - 1, ndim]``).

    >>> import xpnet
    >>> xpnet.zeros(3).unsqueeze(0).shape, xpnet.zeros(3).unsqueeze(-1).shape
    ((1, 3), (3, 1))

    See also: :meth:`Tensor.squeeze`.
    """
    x, = as_tensors(x)
    d, = normalize_dims(dim, x.ndim + 1)
    shape = tuple(x.shape)
    return reshape(x, shape[:d] + (1,) + shape[d:])


def squeeze(x, dim=None):
    """Drop axes of length 1: all of them, or only ``dim`` (an int or tuple) where it has length 1.

    >>> import xpnet
    >>> xpnet.zeros(1, 3, 1).squeeze().shape, xpnet.zeros(1, 3, 1).squeeze(0).shape
    ((3,), (3, 1))

    See also: :meth:`Tensor.unsqueeze`.
    """
    x, = as_tensors(x)
    shape = tuple(x.shape)
    dims = normalize_dims(dim, x.ndim)
    return reshape(x, tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1)))


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(i is None or i is Ellipsis or isinstance(i, (int, slice))
                        and not isinstance(i, bool) for i in items)


def getitem(x, index):
    """``x[index]`` (ints, slices, None, Ellipsis, integer or boolean index tensors)."""
    from ..tensor import Tensor
    x, = as_tensors(x)
    items = index if isinstance(index, tuple) else (index,)
    raw = tuple(i.data if isinstance(i, Tensor) else i for i in items)
    xp, backend, shape = x.backend.xp, x.backend, tuple(x.shape)
    if len(raw) == 1 and hasattr(raw[0], "dtype"):
        raw = raw[0]
        if raw.dtype == xp.bool:
            y = x.data[raw]  # a boolean mask must be the sole index (Array API)
        else:
            y = xp.take(x.data, raw, axis=0)  # x[int_array]: the portable spelling
    else:
        if not builtins.any(i is Ellipsis for i in raw):
            raw = raw + (Ellipsis,)  # the Array API wants every axis indexed explicitly
        y = x.data[raw]

    def backward(g):
        if _is_basic(raw):
            full = xp.zeros(shape, dtype=g.dtype)
            if builtins.any(i is None for i in raw):  # the Array API has no None in setitem
                key = tuple(i for i in raw if i is not None)
                full[key] = xp.reshape(g, tuple(full[key].shape))
            else:
                full[raw] = g
            return (full,)
        return (backend.add_at(shape, raw, g),)
    return record(y, (x,), backward)


def _check_cat(tensors, dim) -> int:
    """The axis ``cat`` joins along, after checking ranks and shapes as ``torch.cat``."""
    if not tensors:
        raise ValueError("cat(tensors) needs at least one tensor; got an empty sequence")
    first = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"cat(tensors): zero-dimensional tensor (at position {i}) cannot "
                             f"be concatenated; reshape it to (1,) or use stack()")
        if t.ndim != len(first):
            raise ValueError(f"cat(tensors): tensors must have the same number of dimensions; "
                             f"tensor 0 has shape {first}, tensor {i} has shape {t.shape}")
    axis, = normalize_dims(dim, len(first))
    for i, t in enumerate(tensors):
        if builtins.any(n != m for k, (n, m) in enumerate(zip(t.shape, first)) if k != axis):
            raise ValueError(f"cat(tensors, dim={dim}): sizes must match except along the "
                             f"concatenation axis {axis}; tensor 0 has shape {first}, "
                             f"tensor {i} has shape {t.shape}")
    return axis


def cat(tensors, dim=0):
    """Join tensors along an existing axis ``dim`` (as ``torch.cat``).

    Every tensor needs at least one dimension and the same shape except
    along ``dim``; 0-d tensors are joined with :func:`stack`.  The gradient
    of each input is its slice of the output gradient.

    >>> import xpnet
    >>> a, b = xpnet.zeros(2, 3), xpnet.ones(1, 3)
    >>> xpnet.cat([a, b]).shape, xpnet.cat([a, a], dim=1).shape
    ((3, 3), (2, 6))

    See also: :func:`xpnet.stack`.
    """
    tensors = as_tensors(*tensors)
    axis = _check_cat(tensors, dim)
    xp = tensors[0].backend.xp
    y = xp.concat([t.data for t in tensors], axis=axis)
    bounds = [0]
    for t in tensors:
        bounds.append(bounds[-1] + t.shape[axis])

    def backward(g):
        lead = (slice(None),) * axis
        return tuple(g[lead + (slice(lo, hi), Ellipsis)] for lo, hi in zip(bounds, bounds[1:]))
    return record(y, tensors, backward)


def stack(tensors, dim=0):
    """Join tensors of one shape along a new axis ``dim`` (as ``torch.stack``).

    ``n`` tensors of shape ``S`` give shape ``S[:dim] + (n,) + S[dim:]``.

    >>> import xpnet
    >>> xpnet.stack([xpnet.zeros(3), xpnet.ones(3)], dim=1).tolist()
    [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]

    See also: :func:`xpnet.cat`.
    """
    tensors = as_tensors(*tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor; got an empty sequence")
    d, = normalize_dims(dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, d) for t in tensors], dim=d)


def pad(x, pad, value=0.0):
    """Constant padding, PyTorch order: ``pad = (left, right, top, bottom, ...)`` from the last axis.

    ``pad`` holds ``2k`` ints (``k <= x.ndim``) padding the last ``k`` axes
    with ``value``; negative amounts crop.  The gradient is the matching
    slice of ``g``.

    >>> import xpnet
    >>> xpnet.pad(xpnet.ones(1, 2), (1, 0)).tolist()
    [[0.0, 1.0, 1.0]]
    >>> xpnet.pad(xpnet.ones(1, 2), (0, 0, 1, 1), value=5.0).shape
    (3, 2)
    """
    x, = as_tensors(x)
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad must hold an even number (at most {2 * x.ndim}) of ints; got {pad}")
    xp, shape = x.backend.xp, tuple(x.shape)
    before = [0] * x.ndim
    after = [0] * x.ndim
    for i in range(len(pad) // 2):
        before[x.ndim - 1 - i], after[x.ndim - 1 - i] = pad[2 * i], pad[2 * i + 1]
    for axis, (n, b, a) in enumerate(zip(shape, before, after)):
        crop = builtins.max(-b, 0) + builtins.max(-a, 0)
        if crop > n:
            raise ValueError(f"pad={pad}: negative amounts crop, and the crops of one axis "
                             f"may remove at most its length; axis {axis} of shape {shape} "
                             f"has length {n} but pad crops {crop} ({b} before, {a} after), "
                             f"a negative size")
    out_shape = tuple(n + b + a for n, b, a in zip(shape, before, after))
    src = tuple(slice(builtins.max(-b, 0), n - builtins.max(-a, 0))
                for n, b, a in zip(shape, before, after))
    dst = tuple(slice(builtins.max(b, 0), builtins.max(b, 0) + (s.stop - s.start))
                for b, s in zip(before, src))
    y = xp.full(out_shape, value, dtype=x.data.dtype)
    y[dst] = x.data[src]

    def backward(g):
        full = xp.zeros(shape, dtype=g.dtype)
        full[src] = g[dst]
        return (full,)
    return record(y, (x,), backward)
