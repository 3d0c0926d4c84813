"""``Conv2d``: a learnable 2-D convolution layer (see :func:`xpnet.nn.functional.conv2d`)."""
from __future__ import annotations

import math

from ..autograd.factory import zeros
from ..dtypes import floating_dtype
from . import init
from .functional.conv import check_padding, conv2d, pair
from .module import Module, Parameter


class Conv2d(Module):
    """2-D convolution over (N, C_in, H, W) input, as ``torch.nn.Conv2d``.

    ``y = conv2d(x, weight, bias, stride, padding, dilation, groups)`` with
    weight (out_channels, in_channels // groups, kH, kW) and bias (out_channels,).
    Default initialization as PyTorch: ``kaiming_uniform_(weight, a=sqrt(5))``,
    i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels/groups * kH * kW,
    and the bias from the same interval.

    Input (N, C_in, H, W) -> output (N, out_channels, P, Q) with
    ``P = (H + 2 ph - dh (kH - 1) - 1) // sh + 1`` (likewise Q).

    >>> import xpnet
    >>> from xpnet import nn
    >>> layer = nn.Conv2d(1, 8, 3, padding=1)
    >>> layer(xpnet.randn(2, 1, 28, 28)).shape, layer.weight.shape
    ((2, 8, 28, 28), (8, 1, 3, 3))

    See also: :func:`xpnet.nn.functional.conv2d`, :class:`MaxPool2d`.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, dtype=None):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("groups", groups)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Conv2d: {name} must be a positive int; got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        self.kernel_size = pair(kernel_size, "Conv2d: kernel_size", 1)
        self.stride = pair(stride, "Conv2d: stride", 1)
        self.dilation = pair(dilation, "Conv2d: dilation", 1)
        self.padding = check_padding(padding, self.stride, "Conv2d")
        dtype = floating_dtype(dtype, "Conv2d(dtype=...)")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(zeros(shape, dtype=dtype))
        self.bias = Parameter(zeros(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw the weights with PyTorch's default: kaiming_uniform_(a=sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias.

        >>> from xpnet import nn
        >>> layer = nn.Conv2d(2, 4, 3)          # fan_in = 2 * 3 * 3 = 18
        >>> layer.reset_parameters()
        >>> bool(layer.weight.abs().max().item() <= 18 ** -0.5)
        True
        """
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"Conv2d(in_channels={self.in_channels}) got input of shape "
                             f"{tuple(x.shape)}; expected (N, {self.in_channels}, H, W)")
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups, layer="Conv2d")

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
