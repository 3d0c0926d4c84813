"""Elementwise math: exp, log, sqrt, abs, clip, tanh, sigmoid, where, maximum, astype.

Conventions at kinks follow PyTorch: ``abs'(0) = 0``; ``clip`` passes the
gradient where ``min <= x <= max`` (boundaries included); ``maximum`` and
``minimum`` split the gradient equally where the inputs tie.
"""
from __future__ import annotations

from ..function import as_tensors, raw, record, shape_of, tensor_of, unbroadcast


def exp(x):
    """Elementwise exponential ``y = e^x``; ``dy/dx = e^x``.

    Any shape; floating dtypes (integer input follows the backend's own rule,
    float64 on NumPy, where PyTorch gives float32).  Overflows to ``inf``
    (``e^89`` in float32) and NaN stays NaN, as PyTorch.

    >>> import xpnet
    >>> xpnet.tensor([0.0, 1.0]).exp().tolist()
    [1.0, 2.7182819843292236]

    See also: :meth:`Tensor.log`, :func:`xpnet.nn.functional.softmax`.
    """
    x, = as_tensors(x)
    y = x.backend.xp.exp(x.data)
    return record(y, (x,), lambda g: (g * y,))


def log(x):
    """Elementwise natural logarithm ``y = ln x``; ``dy/dx = 1 / x``.

    Any shape.  ``log(0) = -inf`` and ``log(x < 0) = nan`` (no error), as PyTorch.

    >>> import xpnet
    >>> xpnet.tensor([1.0, 4.0]).log().tolist()
    [0.0, 1.3862943649291992]

    See also: :meth:`Tensor.exp`, :func:`xpnet.nn.functional.log_softmax`.
    """
    x, = as_tensors(x)
    return record(x.backend.xp.log(x.data), (x,), lambda g: (g / x.data,))


def sqrt(x):
    """Elementwise square root ``y = sqrt(x)``; ``dy/dx = 1 / (2 sqrt(x))``.

    Any shape.  ``sqrt(x < 0) = nan``; at 0 the gradient is ``inf``, as PyTorch.

    >>> import xpnet
    >>> xpnet.tensor([4.0, 2.0]).sqrt().tolist()
    [2.0, 1.4142135381698608]
    """
    x, = as_tensors(x)
    y = x.backend.xp.sqrt(x.data)
    return record(y, (x,), lambda g: (g / (2 * y),))


def abs(x):
    """Elementwise absolute value ``y = |x|``; ``dy/dx = sign(x)``, 0 at ``x = 0``.

    Any shape and dtype.

    >>> import xpnet
    >>> x = xpnet.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    >>> x.abs().sum().backward()
    >>> x.grad.tolist()
    [-1.0, 0.0, 1.0]
    """
    x, = as_tensors(x)
    xp = x.backend.xp
    return record(xp.abs(x.data), (x,), lambda g: (g * xp.sign(x.data),))


def tanh(x):
    """Elementwise hyperbolic tangent ``y = tanh x``; ``dy/dx = 1 - y^2``.

    Any shape; saturates to ``±1`` for large ``|x|`` (no overflow).

    >>> import xpnet
    >>> xpnet.tensor([0.0, 100.0]).tanh().tolist()
    [0.0, 1.0]

    See also: :class:`xpnet.nn.Tanh`.
    """
    x, = as_tensors(x)
    y = x.backend.xp.tanh(x.data)
    return record(y, (x,), lambda g: (g * (1 - y * y),))


def sigmoid(x):
    """Elementwise logistic sigmoid ``s = 1 / (1 + e^-x)``; ``ds/dx = s (1 - s)``.

    Any shape.  Computed from ``e^-|x|``, so it never overflows: ``s(-inf) = 0``,
    ``s(inf) = 1``.

    >>> import xpnet
    >>> xpnet.tensor([0.0, -1000.0]).sigmoid().tolist()
    [0.5, 0.0]

    See also: :class:`xpnet.nn.Sigmoid`, :func:`xpnet.nn.functional.binary_cross_entropy_with_logits`.
    """
    x, = as_tensors(x)
    xp = x.backend.xp
    z = xp.exp(-xp.abs(x.data))  # in (0, 1]: never overflows
    y = xp.where(x.data >= 0, 1 / (1 + z), z / (1 + z))
    return record(y, (x,), lambda g: (g * y * (1 - y),))


def clip(x, min=None, max=None):
    """Clamp elementwise to ``[min, max]``: ``y = min(max(x, min), max)``.

    ``min``/``max`` are Python numbers, either may be None (not both), and
    ``min <= max``.  The gradient is 1 where ``min <= x <= max`` (boundaries
    included, as PyTorch) and 0 outside.  ``clamp`` is the same function.

    >>> import xpnet
    >>> xpnet.tensor([-2.0, 0.5, 3.0]).clip(0, 1).tolist()
    [0.0, 0.5, 1.0]
    """
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
    """Elementwise choice: ``y = a`` where ``condition`` is true, else ``b``.

    ``condition`` (bool), ``a`` and ``b`` (tensors or numbers) broadcast to one
    shape; ``a`` gets the gradient where ``condition`` holds, ``b`` elsewhere.

    >>> import xpnet
    >>> x = xpnet.tensor([-1.0, 2.0])
    >>> xpnet.where(x > 0, x, 0.0).tolist()
    [0.0, 2.0]
    """
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
    """Elementwise larger of ``a`` and ``b`` (broadcasting); ties split the gradient equally.

    NaN propagates (``maximum(nan, 1) = nan``), as PyTorch.

    >>> import xpnet
    >>> xpnet.maximum(xpnet.tensor([1.0, 5.0]), 3.0).tolist()
    [3.0, 5.0]

    See also: :func:`xpnet.minimum`, :meth:`Tensor.max` (a reduction).
    """
    return _pairwise(a, b, "max")


def minimum(a, b):
    """Elementwise smaller of ``a`` and ``b`` (broadcasting); ties split the gradient equally.

    NaN propagates (``minimum(nan, 1) = nan``), as PyTorch.

    >>> import xpnet
    >>> xpnet.minimum(xpnet.tensor([1.0, 5.0]), 3.0).tolist()
    [1.0, 3.0]

    See also: :func:`xpnet.maximum`, :meth:`Tensor.min` (a reduction).
    """
    return _pairwise(a, b, "min")


def astype(x, dtype):
    """Cast to ``dtype`` (a NumPy dtype); the gradient is cast back."""
    x, = as_tensors(x)
    xp, src = x.backend.xp, x.data.dtype
    y = xp.astype(x.data, x.backend.xp_dtype(dtype))
    return record(y, (x,), lambda g: (xp.astype(g, src),))
