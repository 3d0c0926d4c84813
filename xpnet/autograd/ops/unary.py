"""Elementwise math: exp, log, sqrt, abs, clip, tanh, sigmoid, where, maximum, astype.

Conventions at kinks follow PyTorch: ``abs'(0) = 0``; ``clip`` passes the
gradient where ``min <= x <= max`` (boundaries included); ``maximum`` and
``minimum`` split the gradient equally where the inputs tie.
"""
from __future__ import annotations

from ..function import as_tensors, raw, record, shape_of, tensor_of, unbroadcast


def exp(x):
    """``e^x``; d/dx = e^x."""
    x, = as_tensors(x)
    y = x.backend.xp.exp(x.data)
    return record(y, (x,), lambda g: (g * y,))


def log(x):
    """Natural log; d/dx = 1/x."""
    x, = as_tensors(x)
    return record(x.backend.xp.log(x.data), (x,), lambda g: (g / x.data,))


def sqrt(x):
    """``sqrt(x)``; d/dx = 1 / (2 sqrt(x))."""
    x, = as_tensors(x)
    y = x.backend.xp.sqrt(x.data)
    return record(y, (x,), lambda g: (g / (2 * y),))


def abs(x):
    """``|x|``; d/dx = sign(x), 0 at 0."""
    x, = as_tensors(x)
    xp = x.backend.xp
    return record(xp.abs(x.data), (x,), lambda g: (g * xp.sign(x.data),))


def tanh(x):
    """``tanh(x)``; d/dx = 1 - tanh(x)^2."""
    x, = as_tensors(x)
    y = x.backend.xp.tanh(x.data)
    return record(y, (x,), lambda g: (g * (1 - y * y),))


def sigmoid(x):
    """``1 / (1 + e^-x)``, computed without overflow; d/dx = s (1 - s)."""
    x, = as_tensors(x)
    xp = x.backend.xp
    z = xp.exp(-xp.abs(x.data))  # in (0, 1]: never overflows
    y = xp.where(x.data >= 0, 1 / (1 + z), z / (1 + z))
    return record(y, (x,), lambda g: (g * y * (1 - y),))


def clip(x, min=None, max=None):
    """Clamp to ``[min, max]`` (either may be None); gradient 1 inside, 0 outside."""
    x, = as_tensors(x)
    if min is None and max is None:
        raise ValueError("clip needs at least one of min and max; got both None")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip needs min <= max; got min={min}, max={max}")
    xp = x.backend.xp
    y = xp.clip(x.data, min, max)
    inside = xp.ones_like(x.data, dtype=xp.bool)
    if min is not None:
        inside = inside & (x.data >= min)
    if max is not None:
        inside = inside & (x.data <= max)
    return record(y, (x,), lambda g: (xp.where(inside, g, xp.zeros_like(g)),))


def where(condition, a, b):
    """``a`` where ``condition`` else ``b`` (broadcasting); gradients are routed the same way."""
    a, b, condition = as_tensors(a, b, condition)
    t = tensor_of(a, b)
    xp = t.backend.xp
    cond, ra, rb = raw(condition), raw(a), raw(b)
    ra_arr = ra if hasattr(ra, "shape") else xp.asarray(ra, dtype=t.data.dtype)
    rb_arr = rb if hasattr(rb, "shape") else xp.asarray(rb, dtype=t.data.dtype)
    y = xp.where(cond, ra_arr, rb_arr)

    def backward(g):
        zero = xp.zeros_like(g)
        ga = unbroadcast(xp, xp.where(cond, g, zero), shape_of(a))
        gb = unbroadcast(xp, xp.where(cond, zero, g), shape_of(b))
        return ga, gb, None
    return record(y, (a, b, condition), backward)


def _pairwise(a, b, pick_a):
    a, b = as_tensors(a, b)
    xp = tensor_of(a, b).backend.xp
    ra, rb = raw(a), raw(b)
    y = xp.maximum(ra, rb) if pick_a == "max" else xp.minimum(ra, rb)

    def backward(g):
        # a gets g where it alone was picked, g/2 on a tie; b gets the rest
        ga = xp.where(ra == rb, g / 2, xp.where(y == ra, g, xp.zeros_like(g)))
        return unbroadcast(xp, ga, shape_of(a)), unbroadcast(xp, g - ga, shape_of(b))
    return record(y, (a, b), backward)


def maximum(a, b):
    """Elementwise larger of ``a`` and ``b``; ties split the gradient equally."""
    return _pairwise(a, b, "max")


def minimum(a, b):
    """Elementwise smaller of ``a`` and ``b``; ties split the gradient equally."""
    return _pairwise(a, b, "min")


def astype(x, dtype):
    """Cast to ``dtype`` (a NumPy dtype); the gradient is cast back."""
    x, = as_tensors(x)
    xp, src = x.backend.xp, x.data.dtype
    y = xp.astype(x.data, x.backend.xp_dtype(dtype))
    return record(y, (x,), lambda g: (xp.astype(g, src),))
