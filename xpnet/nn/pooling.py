"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d`` (see :mod:`xpnet.nn.functional.pooling`)."""
from __future__ import annotations

from .functional.conv import pair
from .functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .module import Module


class _Pool2d(Module):
    """A pooling layer over (kH, kW) windows; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = pair(kernel_size, f"{name}: kernel_size", 1)
        self.stride = self.kernel_size if stride is None else pair(stride, f"{name}: stride", 1)
        self.padding = pair(padding, f"{name}: padding", 0)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max over (kH, kW) windows of (N, C, H, W) input, as ``torch.nn.MaxPool2d``.

    ``stride`` defaults to ``kernel_size``; padding counts as -inf.  Output
    (N, C, P, Q) with ``P = (H + 2 ph - kH) // sh + 1`` (likewise Q); the
    gradient goes to the first maximum of each window.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.MaxPool2d(2)(xpnet.arange(16, dtype="float32").reshape(1, 1, 4, 4)).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]

    See also: :func:`xpnet.nn.functional.max_pool2d`.
    """

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, layer="MaxPool2d")


class AvgPool2d(_Pool2d):
    """Mean over (kH, kW) windows, as ``torch.nn.AvgPool2d`` (``count_include_pad`` too).

    Input (N, C, H, W) -> output (N, C, P, Q), sizes as :class:`MaxPool2d`.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.AvgPool2d(2)(xpnet.arange(16, dtype="float32").reshape(1, 1, 4, 4)).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]

    See also: :func:`xpnet.nn.functional.avg_pool2d`.
    """

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad,
                          layer="AvgPool2d")


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed (P, Q) output; ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Input (N, C, H, W) -> output (N, C, P, Q) for any H, W.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.AdaptiveAvgPool2d(1)(xpnet.ones(2, 8, 7, 5)).shape
    (2, 8, 1, 1)

    See also: :func:`xpnet.nn.functional.adaptive_avg_pool2d`.
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = pair(output_size, "AdaptiveAvgPool2d: output_size", 1)

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size, layer="AdaptiveAvgPool2d")

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
