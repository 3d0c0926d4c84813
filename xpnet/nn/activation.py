"""Activation modules: thin wrappers over :mod:`xpnet.nn.functional.activation`.

Each holds only its hyper-parameters (no parameters, no buffers) and prints
them in its repr, as PyTorch.
"""
from __future__ import annotations

from .functional import activation as F
from .module import Module


class ReLU(Module):
    """Rectified linear unit ``y = max(x, 0)``, elementwise; gradient 0 at 0 (as PyTorch).

    Input: any shape, floating point; output: same shape and dtype.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.ReLU()(xpnet.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]

    See also: :func:`xpnet.nn.functional.relu`.
    """

    def forward(self, input):
        return F.relu(input)


class LeakyReLU(Module):
    """Leaky ReLU ``y = x`` if ``x > 0`` else ``negative_slope * x``; gradient ``negative_slope`` at 0.

    Input: any shape, floating point; output: same shape and dtype.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.LeakyReLU(0.5)(xpnet.tensor([-2.0, 2.0])).tolist()
    [-1.0, 2.0]

    See also: :func:`xpnet.nn.functional.leaky_relu`.
    """

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """ELU ``y = x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``; gradient ``alpha`` at 0.

    Input: any shape, floating point; output: same shape and dtype.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.ELU(alpha=2.0)(xpnet.tensor([-100.0, 1.0])).tolist()
    [-2.0, 1.0]

    See also: :func:`xpnet.nn.functional.elu`.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """GELU ``y = x * Phi(x)`` (``Phi`` the standard normal CDF); ``approximate='tanh'`` uses the tanh formula.

    Input: any shape, floating point; output: same shape and dtype.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.GELU()(xpnet.tensor([1.0])).numpy().round(4)
    array([0.8413], dtype=float32)

    See also: :func:`xpnet.nn.functional.gelu` (both formulas and gradients).
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU(approximate=...) must be 'none' or 'tanh'; "
                             f"got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Sigmoid(Module):
    """Logistic sigmoid ``y = 1 / (1 + exp(-x))``, elementwise, without overflow.

    Input: any shape, floating point; output: same shape and dtype, in [0, 1].

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.Sigmoid()(xpnet.tensor([0.0])).tolist()
    [0.5]

    See also: :func:`xpnet.nn.functional.sigmoid`.
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent ``y = tanh(x)``, elementwise.

    Input: any shape, floating point; output: same shape and dtype, in [-1, 1].

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.Tanh()(xpnet.tensor([0.0, 1e3])).tolist()
    [0.0, 1.0]

    See also: :func:`xpnet.nn.functional.tanh`.
    """

    def forward(self, input):
        return F.tanh(input)


class _AlongDim(Module):
    """An activation that normalizes along axis ``dim``."""

    def __init__(self, dim: int):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(f"{type(self).__name__}(dim) needs an int axis; got {dim!r}")
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """Softmax ``y = exp(x) / sum(exp(x))`` along ``dim`` (max-shifted; no overflow).

    Input: any shape, floating point; output: same shape, summing to 1 along ``dim``.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.Softmax(dim=1)(xpnet.tensor([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]

    See also: :func:`xpnet.nn.functional.softmax`, :class:`LogSoftmax`.
    """

    def forward(self, input):
        return F.softmax(input, self.dim)


class LogSoftmax(_AlongDim):
    """``y = log(softmax(x))`` along ``dim``, computed as a stable log-sum-exp.

    Input: any shape, floating point; output: same shape and dtype.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.LogSoftmax(dim=0)(xpnet.tensor([0.0, 0.0])).numpy().round(4)
    array([-0.6931, -0.6931], dtype=float32)

    See also: :func:`xpnet.nn.functional.log_softmax`, :class:`xpnet.nn.NLLLoss`.
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim)


__all__ = ["ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"]
