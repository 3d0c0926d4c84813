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
    """Rectified linear unit ``y = max(x, 0)``; gradient 1 where ``x > 0``, else 0 (0 at the kink, as PyTorch).

    input: any shape, floating dtype; returns the same shape and dtype.  NaN stays NaN.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.relu(xpnet.tensor([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 2.0]

    See also: :class:`xpnet.nn.ReLU`, :func:`leaky_relu`, :func:`gelu`.
    """
    x = _floating(input, "relu")
    xp = x.backend.xp
    y = xp.maximum(x.data, 0.0)  # propagates NaN, unlike where(x > 0, x, 0)
    # g * mask, not where(mask, g, 0): NumPy's select is ~10x slower on random masks
    return record(y, (x,), lambda g: (g * xp.astype(x.data > 0, g.dtype),))


def leaky_relu(input, negative_slope: float = 0.01):
    """Leaky ReLU: ``y = x`` where ``x > 0`` else ``negative_slope * x``.

    Gradient 1 where ``x > 0``, else ``negative_slope`` (also at 0, as
    PyTorch).  input: any shape, floating dtype; returns the same shape and dtype.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.leaky_relu(xpnet.tensor([-2.0, 3.0]), negative_slope=0.1).tolist()
    [-0.20000000298023224, 3.0]

    See also: :class:`xpnet.nn.LeakyReLU`, :func:`relu`.
    """
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

    input: any shape, floating dtype; returns the same shape and dtype.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.elu(xpnet.tensor([-1.0, 0.0, 2.0])).numpy().round(4)
    array([-0.6321,  0.    ,  2.    ], dtype=float32)

    See also: :class:`xpnet.nn.ELU`, :func:`relu`.
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

    input: any shape, floating dtype; returns the same shape and dtype.
    Raises ``ValueError`` for any other ``approximate``.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> x = xpnet.tensor([-1.0, 0.0, 1.0])
    >>> F.gelu(x).numpy().round(4), F.gelu(x, approximate="tanh").numpy().round(4)
    (array([-0.1587,  0.    ,  0.8413], dtype=float32), array([-0.1588,  0.    ,  0.8412], dtype=float32))

    See also: :class:`xpnet.nn.GELU`.
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
    """Logistic sigmoid ``s = 1 / (1 + exp(-x))`` without overflow; gradient ``s (1 - s)``.

    input: any shape, floating dtype (``TypeError`` otherwise); same shape and dtype out.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.sigmoid(xpnet.tensor([0.0, 50.0])).tolist()
    [0.5, 1.0]

    See also: :meth:`xpnet.Tensor.sigmoid`, :class:`xpnet.nn.Sigmoid`.
    """
    return unary.sigmoid(_floating(input, "sigmoid"))


def tanh(input):
    """Hyperbolic tangent ``y = tanh(x)``; gradient ``1 - y^2``.

    input: any shape, floating dtype (``TypeError`` otherwise); same shape and dtype out.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.tanh(xpnet.tensor([0.0, 0.5])).numpy().round(4)
    array([0.    , 0.4621], dtype=float32)

    See also: :meth:`xpnet.Tensor.tanh`, :class:`xpnet.nn.Tanh`.
    """
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

    input: any shape, floating dtype; ``dim`` (required) is the axis that sums
    to 1.  Returns the same shape and dtype.  A NaN in a slice makes it all NaN.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.softmax(xpnet.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1e4]]), dim=1).numpy().round(4)
    array([[0.09  , 0.2447, 0.6652],
           [0.    , 0.    , 1.    ]], dtype=float32)

    See also: :func:`log_softmax`, :class:`xpnet.nn.Softmax`.
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

    input: any shape, floating dtype; ``dim`` (required) is the normalized
    axis.  Returns the same shape and dtype.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.log_softmax(xpnet.tensor([0.0, 0.0, 200.0]), dim=0).tolist()
    [-200.0, -200.0, 0.0]

    See also: :func:`softmax`, :func:`cross_entropy`, :class:`xpnet.nn.LogSoftmax`.
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
