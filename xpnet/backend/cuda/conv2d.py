"""Launch wrappers for the conv2d kernels of ``kernels/conv2d.cu`` (implicit GEMM).

Semantics are exactly those of ``Backend.conv2d_forward``,
``conv2d_backward_data`` and ``conv2d_backward_filter`` (see
``xpnet/backend/base.py``)::

    y[n, k, p, q] = bias[k] + sum_{c, r, s} x[n, g*Cg + c, p*sh - ph + r*dh, q*sw - pw + s*dw]
                                            * w[k, c, r, s],     g = k // (K / groups)

Each wrapper validates dtypes (float32/float64, all alike: ``TypeError``) and
shapes (``ValueError``, also for shapes whose int index arithmetic the kernels
cannot take), makes inputs C-contiguous, allocates the output with
``launcher.xp`` and launches.  Grid, block and shared memory are computed in
:func:`launch_config` only.  The CuPy and cudasim backends call these.

Usage, with ``launcher`` the kernel launcher of the CuPy or cudasim backend::

    from xpnet.backend.cuda import conv2d
    y = conv2d.forward(launcher, x, w, None, (1, 1), (1, 1), (1, 1), 1)

See also: ``kernels/conv2d.cu`` (what each kernel computes and how work maps
onto blocks and threads), :mod:`xpnet.backend.numpy_conv` (the CPU version).
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy

from ..conv_geometry import ConvGeometry, conv_geometry
from .launch import KernelSpec, register_kernel

SOURCE = "conv2d.cu"
#: tile sizes; must match the #define defaults of kernels/conv2d.cu
BM, BN, BK, WGRAD_BK, TM, TN = 64, 64, 8, 16, 4, 4
THREADS = (BM // TM) * (BN // TN)
SUM_THREADS = 256
#: bwd_filter splits its reduction over output pixels until about this many blocks
#: run (two waves on an A100's 108 SMs / H100's 132), each split at least
#: MIN_SPLIT_PIXELS long.  Depends on the shape only, so results are identical on
#: every device and on the simulator.
TARGET_BLOCKS, MIN_SPLIT_PIXELS, MAX_SPLITS = 264, 256, 64
_INT_MAX = 2**31 - 1
_SHAPE = ("int",) * 16   # N, C, H, W, K, P, Q, R, S, sh, sw, ph, pw, dh, dw, groups

register_kernel(KernelSpec("conv2d_fwd", SOURCE, ("const T*", "const T*", "const T*", "T*", "int") + _SHAPE))
register_kernel(KernelSpec("conv2d_bwd_data", SOURCE, ("const T*", "const T*", "T*") + _SHAPE))
register_kernel(KernelSpec("conv2d_bwd_filter", SOURCE, ("const T*", "const T*", "T*", "int") + _SHAPE))
register_kernel(KernelSpec("conv2d_sum_splits", SOURCE, ("const T*", "T*", "long long", "int")))


def kernel_args(g: ConvGeometry) -> tuple:
    """The 16 shape ints every conv kernel takes, in its parameter order."""
    return (g.N, g.C, g.H, g.W, g.K, g.P, g.Q, g.R, g.S,
            g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.groups)


def geometry(x_shape, w_shape, stride, padding, dilation, groups) -> ConvGeometry:
    """Check a conv2d configuration (``ValueError`` naming the rule), including the
    kernels' 32-bit index limits, and return its sizes."""
    g = conv_geometry(x_shape, w_shape, stride, padding, dilation, groups)
    _check_int_range(g)
    return g


def _check_int_range(g: ConvGeometry) -> None:
    """The kernels index pixels and (c, r, s) with 32-bit ints (offsets are 64-bit)."""
    limits = {
        "N*P*Q (output pixels)": g.N * g.P * g.Q,
        "N*H*W (input pixels)": g.N * g.H * g.W,
        "(C/groups)*R*S": (g.C // g.groups) * g.R * g.S,
        "(K/groups)*R*S": (g.K // g.groups) * g.R * g.S,
        "H + 2*pad_h + dil_h*R": g.H + 2 * g.ph + g.dh * g.R,
        "W + 2*pad_w + dil_w*S": g.W + 2 * g.pw + g.dw * g.S,
    }
    for what, value in limits.items():
        if value + 4 * max(BM, BN) > _INT_MAX:
            raise ValueError(f"conv2d on the CUDA kernels needs {what} < 2^31 - {4 * max(BM, BN)}; "
                             f"got {value} (split the batch)")
    if g.groups > 65535 or -(-max(g.K, g.C) // g.groups) > 65535 * BN:
        raise ValueError(f"conv2d on the CUDA kernels needs groups <= 65535 and channels per "
                         f"group <= {65535 * BN}; got groups={g.groups}, C={g.C}, K={g.K}")


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def wgrad_splits(g: ConvGeometry) -> Tuple[int, int]:
    """(splits, pixels per split) of the bwd_filter reduction over the N*P*Q pixels."""
    M = g.N * g.P * g.Q
    tiles = _ceil((g.C // g.groups) * g.R * g.S, BM) * _ceil(g.K // g.groups, BN) * g.groups
    splits = max(1, min(_ceil(TARGET_BLOCKS, tiles), _ceil(M, MIN_SPLIT_PIXELS), MAX_SPLITS,
                        65535 // g.groups))
    chunk = _ceil(_ceil(M, splits), WGRAD_BK) * WGRAD_BK
    return _ceil(M, chunk), chunk


def launch_config(kernel: str, g: ConvGeometry) -> Tuple[tuple, tuple, int]:
    """(grid, block, dynamic shared memory bytes) of conv kernel ``kernel`` for ``g``.

    fwd: one block per 64 output pixels x 64 out channels of a group;
    bwd_data: per 64 input pixels x 64 in channels of a group;
    bwd_filter: per 64 (c, r, s) x 64 out channels of a group, times the splits;
    sum_splits: one thread per weight element (grid-stride).
    """
    Cg, Kg = g.C // g.groups, g.K // g.groups
    if kernel == "conv2d_fwd":
        return (_ceil(g.N * g.P * g.Q, BM), _ceil(Kg, BN), g.groups), (THREADS,), 0
    if kernel == "conv2d_bwd_data":
        return (_ceil(g.N * g.H * g.W, BM), _ceil(Cg, BN), g.groups), (THREADS,), 0
    if kernel == "conv2d_bwd_filter":
        splits, _ = wgrad_splits(g)
        return (_ceil(Cg * g.R * g.S, BM), _ceil(Kg, BN), g.groups * splits), (THREADS,), 0
    if kernel == "conv2d_sum_splits":
        return (min(_ceil(g.K * Cg * g.R * g.S, SUM_THREADS), 65535),), (SUM_THREADS,), 0
    raise ValueError(f"unknown conv kernel {kernel!r}")


def _dtype_of(launcher, name, a):
    launcher.check_array(a, name)
    dt = numpy.dtype(a.dtype)
    if dt not in (numpy.float32, numpy.float64):
        raise TypeError(f"{name} must be float32 or float64; got {dt}")
    return dt


def _inputs(launcher, **arrays):
    """Check that all arrays share one float dtype; return (dtype, contiguous arrays)."""
    dtypes = {name: _dtype_of(launcher, name, a) for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        raise TypeError("conv2d inputs must have the same dtype; got "
                        + ", ".join(f"{n} {d}" for n, d in dtypes.items()))
    xp = launcher.xp
    return next(iter(dtypes.values())), {n: xp.ascontiguousarray(a) for n, a in arrays.items()}


def _check_grad_out(grad_out, g: ConvGeometry):
    expected = (g.N, g.K, g.P, g.Q)
    if tuple(grad_out.shape) != expected:
        raise ValueError(f"grad_out must have shape (N, K, P, Q) = {expected}; got {tuple(grad_out.shape)}")


def _shape(name, shape) -> tuple:
    if (not isinstance(shape, (tuple, list)) or len(shape) != 4
            or not all(isinstance(v, (int, numpy.integer)) for v in shape)):
        raise ValueError(f"{name} must be a sequence of 4 ints; got {shape!r}")
    return tuple(int(v) for v in shape)


def forward(launcher, x, weight, bias: Optional[object], stride, padding, dilation, groups):
    """y = conv2d(x, weight) + bias.  x (N, C, H, W), weight (K, C/groups, R, S), bias (K,) or None."""
    arrays = dict(x=x, weight=weight) if bias is None else dict(x=x, weight=weight, bias=bias)
    dtype, a = _inputs(launcher, **arrays)
    g = geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    if bias is not None and tuple(bias.shape) != (g.K,):
        raise ValueError(f"bias must have shape (K,) = ({g.K},); got {tuple(bias.shape)}")
    y = launcher.xp.empty((g.N, g.K, g.P, g.Q), dtype=a["x"].dtype)
    grid, block, smem = launch_config("conv2d_fwd", g)
    launcher.launch("conv2d_fwd", dtype, grid, block, smem,
                    (a["x"], a["weight"], a.get("bias"), y, int(bias is not None)) + kernel_args(g))
    return y


def backward_data(launcher, grad_out, weight, input_shape: Sequence[int], stride, padding,
                  dilation, groups):
    """grad_x (input_shape) of conv2d_forward from grad_out (N, K, P, Q) and weight."""
    dtype, a = _inputs(launcher, grad_out=grad_out, weight=weight)
    g = geometry(_shape("input_shape", input_shape), weight.shape, stride, padding, dilation, groups)
    _check_grad_out(grad_out, g)
    dx = launcher.xp.empty((g.N, g.C, g.H, g.W), dtype=a["grad_out"].dtype)
    grid, block, smem = launch_config("conv2d_bwd_data", g)
    launcher.launch("conv2d_bwd_data", dtype, grid, block, smem,
                    (a["grad_out"], a["weight"], dx) + kernel_args(g))
    return dx


def backward_filter(launcher, grad_out, x, weight_shape: Sequence[int], stride, padding,
                    dilation, groups):
    """grad_weight (weight_shape) of conv2d_forward from grad_out (N, K, P, Q) and x.

    The reduction over the N*P*Q output pixels is split across blocks when the
    weight gradient alone has too few tiles to fill the GPU; the partial sums are
    then added in split order by a second kernel (deterministic, no atomics).
    """
    dtype, a = _inputs(launcher, grad_out=grad_out, x=x)
    g = geometry(x.shape, _shape("weight_shape", weight_shape), stride, padding, dilation, groups)
    _check_grad_out(grad_out, g)
    xp = launcher.xp
    dw = xp.empty((g.K, g.C // g.groups, g.R, g.S), dtype=a["x"].dtype)
    splits, chunk = wgrad_splits(g)
    partial = dw if splits == 1 else xp.empty((splits,) + dw.shape, dtype=dw.dtype)
    grid, block, smem = launch_config("conv2d_bwd_filter", g)
    launcher.launch("conv2d_bwd_filter", dtype, grid, block, smem,
                    (a["grad_out"], a["x"], partial, chunk) + kernel_args(g))
    if splits > 1:
        grid, block, smem = launch_config("conv2d_sum_splits", g)
        launcher.launch("conv2d_sum_splits", dtype, grid, block, smem,
                        (partial, dw, int(dw.size), splits))
    return dw
