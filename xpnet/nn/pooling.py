"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d`` (see :mod:`xpnet.nn.functional.pooling`)."""
from __future__ import annotations

from .functional.conv import pair
from .functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .module import Module


class _Pool2d(Module):
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

    ``stride`` defaults to ``kernel_size``; padding counts as -inf.
    """

    def forward(self, x):
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, layer="MaxPool2d")


class AvgPool2d(_Pool2d):
    """Mean over (kH, kW) windows, as ``torch.nn.AvgPool2d`` (``count_include_pad`` too)."""

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad,
                          layer="AvgPool2d")


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed (P, Q) output; ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = pair(output_size, "AdaptiveAvgPool2d: output_size", 1)

    def forward(self, x):
        return adaptive_avg_pool2d(x, self.output_size, layer="AdaptiveAvgPool2d")

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
