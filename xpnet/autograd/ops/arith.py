"""Binary arithmetic with broadcasting: add, sub, mul, div, pow, matmul, neg.

Each op computes on raw arrays and returns the gradient of each input,
summed back to that input's shape (``unbroadcast``) when broadcasting
stretched it.  Python scalars act as constants and get no gradient.  Where
bools, integers and floats meet, operands are promoted as PyTorch does first
(:mod:`.promotion`: ``tensor([1, 2]) + 0.5`` is float32, ``int / int`` too).
"""
from __future__ import annotations

import math

from ..function import as_tensors, raw, record, shape_of, tensor_of, unbroadcast
from .promotion import promote


def broadcast_shapes(*shapes):
    """The shape that broadcasting ``shapes`` together gives (NumPy rules)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(-ndim, 0):
        sizes = {s[i] for s in shapes if len(s) >= -i and s[i] != 1}
        if len(sizes) > 1:
            raise ValueError(f"shapes {shapes} cannot be broadcast together")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def add(a, b):
    """``a + b``; d/da = 1, d/db = 1."""
    a, b = promote(*as_tensors(a, b))
    xp = tensor_of(a, b).backend.xp
    y = raw(a) + raw(b)

    def backward(g):
        return unbroadcast(xp, g, shape_of(a)), unbroadcast(xp, g, shape_of(b))
    return record(y, (a, b), backward)


def sub(a, b):
    """``a - b``; d/da = 1, d/db = -1."""
    a, b = promote(*as_tensors(a, b))
    xp = tensor_of(a, b).backend.xp
    y = raw(a) - raw(b)

    def backward(g):
        return unbroadcast(xp, g, shape_of(a)), unbroadcast(xp, -g, shape_of(b))
    return record(y, (a, b), backward)


def mul(a, b):
    """``a * b``; d/da = b, d/db = a."""
    a, b = promote(*as_tensors(a, b))
    xp = tensor_of(a, b).backend.xp
    ra, rb = raw(a), raw(b)

    def backward(g):
        return unbroadcast(xp, g * rb, shape_of(a)), unbroadcast(xp, g * ra, shape_of(b))
    return record(ra * rb, (a, b), backward)


def div(a, b):
    """``a / b``; d/da = 1/b, d/db = -a/b^2."""
    a, b = promote(*as_tensors(a, b), true_division=True)
    xp = tensor_of(a, b).backend.xp
    ra, rb = raw(a), raw(b)
    y = ra / rb

    def backward(g):
        return unbroadcast(xp, g / rb, shape_of(a)), unbroadcast(xp, -g * y / rb, shape_of(b))
    return record(y, (a, b), backward)


def pow(a, b):
    """``a ** b``; d/da = b * a^(b-1), d/db = a^b * log(a).

    Conventions (as PyTorch): d/da is 0 for a constant exponent 0 (also at
    a = 0); d/db is taken as 0 where a <= 0 (log undefined).  Either operand
    may be a Python scalar (``x ** 2``, ``2 ** x``); shapes broadcast.

    >>> import xpnet
    >>> x = xpnet.tensor([1.0, 3.0], requires_grad=True)
    >>> x.pow(2).sum().backward()
    >>> x.grad.tolist()
    [2.0, 6.0]
    """
    a, b = promote(*as_tensors(a, b))
    xp = tensor_of(a, b).backend.xp
    ra, rb = raw(a), raw(b)
    y = ra ** rb
    a_is_tensor, b_is_tensor = hasattr(a, "backend"), hasattr(b, "backend")

    def backward(g):
        ga = gb = None
        if a_is_tensor:
            if not b_is_tensor and rb == 0:
                ga = xp.zeros_like(ra)
            else:
                ga = unbroadcast(xp, g * rb * ra ** (rb - 1), shape_of(a))
        if b_is_tensor:
            if a_is_tensor:
                log_a = xp.log(xp.where(ra > 0, ra, xp.ones_like(ra)))
            else:  # a Python scalar base: its log is a Python float
                log_a = math.log(ra) if ra > 0 else 0.0
            gb = unbroadcast(xp, g * y * log_a, shape_of(b))
        return ga, gb
    return record(y, (a, b), backward)


def neg(a):
    """``-a``; d/da = -1."""
    a, = as_tensors(a)
    return record(-a.data, (a,), lambda g: (-g,))


def matmul(a, b):
    """``a @ b`` with NumPy/PyTorch rules (1-D operands, batched broadcasting).

    For ``y = a @ b``: ``dL/da = g @ b^T`` and ``dL/db = a^T @ g``, where a 1-D
    ``a`` acts as a row (1, k) and a 1-D ``b`` as a column (k, 1).

    Shapes: ``(..., n, k) @ (..., k, m) -> (..., n, m)`` with the batch axes
    broadcast; both operands need at least one dimension.

    >>> import xpnet
    >>> a = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> xpnet.matmul(a, xpnet.tensor([1.0, 1.0])).tolist()
    [3.0, 7.0]
    >>> (xpnet.ones(5, 2, 3) @ xpnet.ones(3, 4)).shape
    (5, 2, 4)

    See also: :func:`xpnet.nn.functional.linear`.
    """
    a, b = as_tensors(a, b)
    if not (hasattr(a, "backend") and hasattr(b, "backend")):
        raise TypeError("matmul needs two tensors (or arrays), not a Python scalar")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs operands with at least 1 dimension; got shapes "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: inner dimensions differ: a has shape {tuple(a.shape)}, "
                         f"b has shape {tuple(b.shape)}")
    xp = a.backend.xp
    ra, rb = a.data, b.data
    y = xp.matmul(ra, rb)

    def backward(g):
        a2 = ra if ra.ndim > 1 else xp.reshape(ra, (1, -1))
        b2 = rb if rb.ndim > 1 else xp.reshape(rb, (-1, 1))
        batch = broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
        g2 = xp.reshape(g, batch + (a2.shape[-2], b2.shape[-1]))
        ga = unbroadcast(xp, xp.matmul(g2, b2.mT), tuple(a2.shape))
        gb = unbroadcast(xp, xp.matmul(a2.mT, g2), tuple(b2.shape))
        return xp.reshape(ga, ra.shape), xp.reshape(gb, rb.shape)
    return record(y, (a, b), backward)
