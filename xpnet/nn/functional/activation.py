"""Activation functions: relu, leaky_relu, elu, gelu, sigmoid, tanh, softmax, log_softmax.

Each function computes its forward on the raw arrays of the input's backend
(``x.backend.xp``, Array API standard only) and defines its backward right
beside it.  Conventions at kinks follow PyTorch: ``relu'(0) = 0``,
``leaky_relu'(0) = negative_slope``, ``elu'(0) = alpha``.  NaN inputs give
NaN outputs.  Results keep the input's dtype.

>>> import xpnet
>>> import xpnet.nn.functional as F
>>> F.relu(xpnet.tensor([-1.0, 0.0, 2.0])).numpy()
array([0., 0., 2.], dtype=float32)
"""
from __future__ import annotations

import math

from ...autograd.function import as_tensors, record
from ...autograd.ops import unary
from ...autograd.ops.reduce import normalize_dims
from . import _erf

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


def _floating(x, fn: str):
    """``x`` as a Tensor, or ``TypeError`` if it is not floating point."""
    x, = as_tensors(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}(input) needs a floating-point tensor; got dtype {x.dtype} "
                        f"(convert with .float())")
    return x


def _number(value, name: str, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{fn}({name}=...) needs a number; got {value!r}")
    return float(value)


def relu(input):
    """``max(x, 0)``; gradient 1 where ``x > 0``, else 0 (0 at the kink, as PyTorch)."""
    x = _floating(input, "relu")
    xp = x.backend.xp
    y = xp.maximum(x.data, 0.0)  # propagates NaN, unlike where(x > 0, x, 0)
    # g * mask, not where(mask, g, 0): NumPy's select is ~10x slower on random masks
    return record(y, (x,), lambda g: (g * xp.astype(x.data > 0, g.dtype),))


def leaky_relu(input, negative_slope: float = 0.01):
    """``x`` where ``x > 0`` else ``negative_slope * x``; gradient 1 or ``negative_slope`` (at 0)."""
    x = _floating(input, "leaky_relu")
    slope = _number(negative_slope, "negative_slope", "leaky_relu")
    xp = x.backend.xp
    positive = x.data > 0
    y = xp.where(positive, x.data, x.data * slope)
    return record(y, (x,), lambda g: (xp.where(positive, g, g * slope),))


def elu(input, alpha: float = 1.0):
    """``x`` where ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Gradient: 1 where ``x > 0``, else ``alpha * exp(x)`` (``alpha`` at 0, as
    PyTorch).  ``expm1`` keeps small negative inputs accurate; the exponential
    only ever sees ``min(x, 0)``, so large inputs cannot overflow.
    """
    x = _floating(input, "elu")
    a = _number(alpha, "alpha", "elu")
    xp = x.backend.xp
    positive = x.data > 0
    em1 = xp.expm1(xp.minimum(x.data, 0.0))
    y = xp.where(positive, x.data, a * em1)
    return record(y, (x,), lambda g: (xp.where(positive, g, g * (a * (em1 + 1.0))),))


def gelu(input, approximate: str = "none"):
    """Gaussian error linear unit, ``x * Phi(x)`` with ``Phi`` the standard normal CDF.

    ``approximate='none'``: ``Phi(x) = erfc(-x / sqrt(2)) / 2`` (the exact
    form; see :mod:`._erf` for the portable ``erf``), gradient
    ``Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi)``.

    ``approximate='tanh'``: ``0.5 x (1 + tanh(u))`` with
    ``u = sqrt(2/pi) (x + 0.044715 x^3)``, gradient
    ``0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)``, ``t = tanh(u)``.
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu(approximate=...) must be 'none' or 'tanh'; got {approximate!r}")
    x = _floating(input, "gelu")
    xp, xd = x.backend.xp, x.data
    # beyond |x| = 20 the Gaussian factors below are exactly 0 (or tanh exactly +-1) in
    # float32 and float64 alike; clipping keeps x^2 and x^3 from overflowing there
    xc = xp.clip(xd, -20.0, 20.0)
    if approximate == "none":
        cdf = 0.5 * _erf.erfc(xp, xd * -_SQRT_HALF)
        y = xd * cdf

        def backward(g):
            pdf = xp.exp(-0.5 * xc * xc) * _INV_SQRT_2PI
            return (g * (cdf + xd * pdf),)
        return record(y, (x,), backward)

    t = xp.tanh(_SQRT_2_OVER_PI * (xc + _GELU_CUBIC * xc * xc * xc))
    y = 0.5 * xd * (1.0 + t)

    def backward_tanh(g):
        du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * xc * xc)
        return (g * (0.5 * (1.0 + t) + 0.5 * xd * (1.0 - t * t) * du),)
    return record(y, (x,), backward_tanh)


def sigmoid(input):
    """``1 / (1 + exp(-x))`` without overflow; gradient ``s (1 - s)``."""
    return unary.sigmoid(_floating(input, "sigmoid"))


def tanh(input):
    """``tanh(x)``; gradient ``1 - tanh(x)^2``."""
    return unary.tanh(_floating(input, "tanh"))


def _axis(x, dim, fn: str) -> int:
    if dim is None:
        raise TypeError(f"{fn}(input, dim) needs dim (the axis to normalize over); got None")
    dims = normalize_dims(dim, x.ndim, "dim")  # validates; a 0-d tensor has no axis
    return dims[0] if dims else None


def _empty(x):
    """The result of softmax/log_softmax of an empty ``x`` (no max to shift by): empty too."""
    xp = x.backend.xp
    return record(xp.zeros(x.data.shape, dtype=x.data.dtype), (x,), lambda g: (g,))


def softmax(input, dim: int):
    """``exp(x - max) / sum(exp(x - max))`` along ``dim``.

    Subtracting the maximum makes every exponent <= 0, so nothing overflows
    (``|x| ~ 1e4`` in float32 is fine).  Gradient: ``y * (g - sum(g * y, dim))``.
    """
    x = _floating(input, "softmax")
    axis = _axis(x, dim, "softmax")
    if x.numel() == 0:
        return _empty(x)
    xp = x.backend.xp
    e = xp.exp(x.data - xp.max(x.data, axis=axis, keepdims=True))
    y = e / xp.sum(e, axis=axis, keepdims=True)

    def backward(g):
        return (y * (g - xp.sum(g * y, axis=axis, keepdims=True)),)
    return record(y, (x,), backward)


def log_softmax(input, dim: int):
    """``x - max - log(sum(exp(x - max)))`` along ``dim`` (max-shifted log-sum-exp).

    Exact where ``softmax(x).log()`` underflows to ``-inf``.  Gradient:
    ``g - exp(y) * sum(g, dim)``.
    """
    x = _floating(input, "log_softmax")
    axis = _axis(x, dim, "log_softmax")
    if x.numel() == 0:
        return _empty(x)
    xp = x.backend.xp
    shifted = x.data - xp.max(x.data, axis=axis, keepdims=True)
    y = shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))

    def backward(g):
        return (g - xp.exp(y) * xp.sum(g, axis=axis, keepdims=True),)
    return record(y, (x,), backward)


__all__ = ["relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax"]
