"""Dense layers: ``Linear`` (``y = x W^T + b``) and ``Identity``."""
from __future__ import annotations

import math

from ..autograd.factory import zeros
from ..dtypes import floating_dtype
from . import init
from .functional.linear import linear
from .module import Module, Parameter


class Identity(Module):
    """Returns its input unchanged (a placeholder; any constructor arguments are ignored).

    >>> import xpnet
    >>> from xpnet import nn
    >>> x = xpnet.ones(2)
    >>> nn.Identity(54, unused=1)(x) is x
    True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Affine layer ``y = x W^T + b``, as ``torch.nn.Linear``.

    weight: (out_features, in_features); bias: (out_features,).  Input
    (*, in_features) -> output (*, out_features).  Parameters are created on
    the current backend in ``dtype`` (float32 by default) and initialized as
    PyTorch: ``kaiming_uniform_(weight, a=sqrt(5))``, i.e.
    ``U(-1/sqrt(in_features), 1/sqrt(in_features))``, and the bias from the
    same interval.

    >>> import xpnet
    >>> from xpnet import nn
    >>> layer = nn.Linear(4, 2)
    >>> layer(xpnet.ones(3, 4)).shape, layer.weight.shape
    ((3, 2), (2, 4))

    See also: :func:`xpnet.nn.functional.linear`, :mod:`xpnet.nn.init`.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None):
        super().__init__()
        for name, v in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Linear({name}=...) must be a non-negative int; got {v!r}")
        dtype = floating_dtype(dtype, "Linear(dtype=...)")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(zeros(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights (and bias) from PyTorch's default distribution, U(+-1/sqrt(in_features)).

        >>> import xpnet
        >>> from xpnet import nn
        >>> layer = nn.Linear(4, 2)
        >>> _ = xpnet.manual_seed(0); layer.reset_parameters(); first = layer.weight.tolist()
        >>> _ = xpnet.manual_seed(0); layer.reset_parameters()
        >>> layer.weight.tolist() == first, bool(layer.weight.abs().max().item() <= 0.5)
        (True, True)
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        shape = tuple(getattr(input, "shape", ()))
        if len(shape) < 1 or shape[-1] != self.in_features:
            raise ValueError(f"{self!r} got input of shape {shape}; expected "
                             f"(*, {self.in_features}) (last axis = in_features)")
        return linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


__all__ = ["Linear", "Identity"]
