"""The sizes of one conv2d, validated once for every backend's hot ops.

``conv_geometry`` checks a configuration against the rules of
:meth:`xpnet.backend.base.Backend.conv2d_forward` (``ValueError`` naming the
rule and the shapes) and returns a :class:`ConvGeometry`; the NumPy and CUDA
implementations build their own layouts on top of it.
"""
from __future__ import annotations

from typing import NamedTuple, Tuple

import numpy


class ConvGeometry(NamedTuple):
    """Sizes of one convolution: input (N, C, H, W), weight (K, C/groups, R, S), output (N, K, P, Q)."""
    N: int
    C: int
    H: int
    W: int
    K: int
    R: int
    S: int
    P: int
    Q: int
    sh: int
    sw: int
    ph: int
    pw: int
    dh: int
    dw: int
    groups: int

    @property
    def flops(self) -> int:
        """Multiply-adds x 2 of the forward pass: 2*N*K*P*Q*(C/groups)*R*S."""
        return 2 * self.N * self.K * self.P * self.Q * (self.C // self.groups) * self.R * self.S


def output_size(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    """Output length along one axis: ``(size + 2 padding - dilation (kernel - 1) - 1) // stride + 1``."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def check_pair(name, value, minimum) -> Tuple[int, int]:
    """``value`` as a pair of Python ints ``>= minimum``, else ``ValueError`` naming ``name``."""
    if (not isinstance(value, (tuple, list)) or len(value) != 2 or not all(
            isinstance(v, (int, numpy.integer)) and not isinstance(v, bool) and v >= minimum
            for v in value)):
        raise ValueError(f"{name} must be a pair of ints >= {minimum}; got {value!r}")
    return int(value[0]), int(value[1])


def conv_geometry(x_shape, w_shape, stride, padding, dilation, groups) -> ConvGeometry:
    """Check a conv2d configuration and return its sizes.

    ``P = (H + 2 ph - dh (R - 1) - 1) // sh + 1`` (likewise Q); raises
    ``ValueError`` for wrong ranks, channels that don't match the weight and
    ``groups``, and empty inputs or outputs.
    """
    if len(x_shape) != 4:
        raise ValueError(f"input must have shape (N, C, H, W); got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"weight must have shape (K, C // groups, R, S); got shape "
                         f"{tuple(w_shape)}")
    sh, sw = check_pair("stride", stride, 1)
    ph, pw = check_pair("padding", padding, 0)
    dh, dw = check_pair("dilation", dilation, 1)
    if isinstance(groups, bool) or not isinstance(groups, (int, numpy.integer)) or groups < 1:
        raise ValueError(f"groups must be an int >= 1; got {groups!r}")
    groups = int(groups)
    N, C, H, W = (int(v) for v in x_shape)
    K, Cg, R, S = (int(v) for v in w_shape)
    if C != Cg * groups or K % groups != 0 or K == 0:
        raise ValueError(
            f"input channels ({C}) must equal weight.shape[1] * groups ({Cg} * {groups}) "
            f"and out channels ({K}) a positive multiple of groups; input shape "
            f"{tuple(x_shape)}, weight shape {tuple(w_shape)}")
    P = output_size(H, R, sh, ph, dh)
    Q = output_size(W, S, sw, pw, dw)
    if N < 1 or C < 1 or R < 1 or S < 1 or P < 1 or Q < 1:
        raise ValueError(
            f"empty input or output: input shape {tuple(x_shape)}, weight shape "
            f"{tuple(w_shape)}, padding {padding}, dilation {dilation} give output "
            f"size ({P}, {Q}); the (dilated) kernel must fit in the padded input")
    return ConvGeometry(N, C, H, W, K, R, S, P, Q, sh, sw, ph, pw, dh, dw, groups)
