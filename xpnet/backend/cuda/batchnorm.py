"""Batch normalization through our kernels (``kernels/batchnorm.cu``), on any launcher.

Same signatures and semantics as ``Backend.batch_norm_*`` (see
``xpnet/backend/base.py``), with the launcher first::

    y, save_mean, save_invstd = forward_train(launcher, x, weight, bias,
                                              running_mean, running_var, momentum, eps)

x: (N, C, *) is viewed as (N, C, S); per channel the m = N * S values are
reduced in chunks of ``chunk`` values by blocks of ``block`` threads (keyword
arguments, defaults :data:`BLOCK` and ``block * ITEMS_PER_THREAD``; tests use
small ones to get many blocks from small shapes), then merged by one block per
channel.  Results depend on (shape, block, chunk) only: bit-identical run to run.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy

from .launch import KernelSpec, register_kernel

_SRC = "batchnorm.cu"
_PARTIAL = ("int", "long long", "long long", "long long")  # C, S, m, chunk
for _spec in (
    KernelSpec("bn_stats_partial", _SRC, ("const T*", "T*", "T*") + _PARTIAL),
    KernelSpec("bn_stats_finalize", _SRC, ("const T*", "const T*", "T*", "T*", "T*", "T*", "int",
                                           "long long", "long long", "T", "T")),
    KernelSpec("bn_apply", _SRC, ("const T*",) * 5 + ("T*", "int", "long long", "long long", "T",
                                                      "int")),
    KernelSpec("bn_backward_partial", _SRC, ("const T*",) * 3 + ("T*", "T*") + _PARTIAL),
    KernelSpec("bn_backward_finalize", _SRC, ("const T*",) * 3 + ("T*", "T*", "int")),
    KernelSpec("bn_backward_dx", _SRC, ("const T*",) * 7 + ("T*", "int", "long long", "long long",
                                                            "long long")),
):
    register_kernel(_spec)

BLOCK = 256              # threads per block (a power of two, 32..1024)
ITEMS_PER_THREAD = 8     # default chunk = BLOCK * ITEMS_PER_THREAD values per partial
MAX_CHUNKS = 65535       # grid.y limit
MAX_ELEMENTWISE_BLOCKS = 1 << 16


def _ncs(launcher, x, name: str):
    """Validate x (N, C, *) and return it C-contiguous as (N, C, S) with (N, C, S)."""
    launcher.check_array(x, name)
    if x.dtype not in (numpy.float32, numpy.float64):
        raise TypeError(f"{name} must be float32 or float64; got {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (N, C, *); got shape {tuple(x.shape)}")
    N, C = int(x.shape[0]), int(x.shape[1])
    S = math.prod(int(d) for d in x.shape[2:])
    if N * S == 0 or C == 0:
        raise ValueError(f"{name} must have at least one value per channel; got shape "
                         f"{tuple(x.shape)}")
    if C >= 2**31:
        raise ValueError(f"{name} has {C} channels; at most 2**31 - 1 are supported")
    return launcher.xp.ascontiguousarray(x).reshape(N, C, S), N, C, S


def _per_channel(launcher, a, name: str, C: int, dtype, optional: bool = True):
    """Validate a (C,) parameter; returns it contiguous (or None)."""
    if a is None:
        if optional:
            return None
        raise TypeError(f"{name} must be an array of shape ({C},); got None")
    launcher.check_array(a, name)
    if tuple(a.shape) != (C,):
        raise ValueError(f"{name} must have shape ({C},) (one value per channel); got "
                         f"{tuple(a.shape)}")
    if a.dtype != dtype:
        raise TypeError(f"{name} must have the dtype of x ({dtype}); got {a.dtype}")
    return launcher.xp.ascontiguousarray(a)


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, numpy.integer, numpy.floating)):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    return float(value)


def _check_block(block) -> None:
    if not (isinstance(block, int) and 1 <= block <= 1024 and block & (block - 1) == 0):
        raise ValueError(f"block must be a power of two in [1, 1024]; got {block!r}")


def _plan(m: int, block: int, chunk: Optional[int]):
    """(block, chunk, chunks, finalize block) for reducing m values per channel."""
    _check_block(block)
    chunk = block * ITEMS_PER_THREAD if chunk is None else int(chunk)
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1; got {chunk}")
    chunk = max(chunk, -(-m // MAX_CHUNKS))
    chunks = -(-m // chunk)
    fin = 1
    while fin < min(chunks, block):
        fin *= 2
    return block, chunk, chunks, fin


def _elementwise_grid(total: int, block: int):
    return (max(1, min(-(-total // block), MAX_ELEMENTWISE_BLOCKS)),)


def forward_train(launcher, x, weight, bias, running_mean, running_var, momentum, eps, *,
                  block: int = BLOCK, chunk: Optional[int] = None):
    """Batch statistics, normalization and affine; running stats updated in place.
    See ``Backend.batch_norm_forward_train``.  Returns (y, save_mean, save_invstd)."""
    xp = launcher.xp
    x3, N, C, S = _ncs(launcher, x, "x")
    dt = x3.dtype
    w = _per_channel(launcher, weight, "weight", C, dt)
    b = _per_channel(launcher, bias, "bias", C, dt)
    rm = _per_channel(launcher, running_mean, "running_mean", C, dt)
    rv = _per_channel(launcher, running_var, "running_var", C, dt)
    momentum, eps = _real(momentum, "momentum"), _real(eps, "eps")
    m = N * S
    if m < 2:
        raise ValueError(f"batch norm in training needs more than 1 value per channel (the "
                         f"running variance divides by m - 1); got x of shape {tuple(x.shape)}")
    block, chunk, chunks, fin = _plan(m, block, chunk)
    pmean, pm2 = xp.empty((C, chunks), dt), xp.empty((C, chunks), dt)
    launcher.launch("bn_stats_partial", dt, (C, chunks), (block,), 3 * block * dt.itemsize,
                    (x3, pmean, pm2, C, S, m, chunk))
    save_mean, save_invstd = xp.empty((C,), dt), xp.empty((C,), dt)
    launcher.launch("bn_stats_finalize", dt, (C,), (fin,), 3 * fin * dt.itemsize,
                    (pmean, pm2, save_mean, save_invstd, rm, rv, chunks, m, chunk, momentum, eps))
    # ascontiguousarray returned a copy if the caller's running stats were strided
    for given, used in ((running_mean, rm), (running_var, rv)):
        if used is not None and used is not given:
            given[...] = used
    y = xp.empty_like(x3)
    launcher.launch("bn_apply", dt, _elementwise_grid(x3.size, block), (block,), 0,
                    (x3, save_mean, save_invstd, w, b, y, C, S, x3.size, eps, 0))
    return y.reshape(x.shape), save_mean, save_invstd


def forward_inference(launcher, x, weight, bias, running_mean, running_var, eps, *,
                      block: int = BLOCK):
    """``(x - running_mean) / sqrt(running_var + eps) * weight + bias``; returns y like x."""
    x3, N, C, S = _ncs(launcher, x, "x")
    dt = x3.dtype
    w = _per_channel(launcher, weight, "weight", C, dt)
    b = _per_channel(launcher, bias, "bias", C, dt)
    rm = _per_channel(launcher, running_mean, "running_mean", C, dt, optional=False)
    rv = _per_channel(launcher, running_var, "running_var", C, dt, optional=False)
    eps = _real(eps, "eps")
    _check_block(block)
    y = launcher.xp.empty_like(x3)
    launcher.launch("bn_apply", dt, _elementwise_grid(x3.size, block), (block,), 0,
                    (x3, rm, rv, w, b, y, C, S, x3.size, eps, 1))
    return y.reshape(x.shape)


def backward(launcher, grad_out, x, weight, save_mean, save_invstd, *, block: int = BLOCK,
             chunk: Optional[int] = None):
    """Gradients of :func:`forward_train`; returns (grad_x, grad_weight, grad_bias).
    See ``Backend.batch_norm_backward``."""
    xp = launcher.xp
    x3, N, C, S = _ncs(launcher, x, "x")
    dy3, *_ = _ncs(launcher, grad_out, "grad_out")
    if tuple(grad_out.shape) != tuple(x.shape) or grad_out.dtype != x.dtype:
        raise ValueError(f"grad_out must have the shape and dtype of x {tuple(x.shape)} {x.dtype}; "
                         f"got {tuple(grad_out.shape)} {grad_out.dtype}")
    dt = x3.dtype
    w = _per_channel(launcher, weight, "weight", C, dt)
    mean = _per_channel(launcher, save_mean, "save_mean", C, dt, optional=False)
    invstd = _per_channel(launcher, save_invstd, "save_invstd", C, dt, optional=False)
    m = N * S
    block, chunk, chunks, fin = _plan(m, block, chunk)
    psdy, psdyx = xp.empty((C, chunks), dt), xp.empty((C, chunks), dt)
    launcher.launch("bn_backward_partial", dt, (C, chunks), (block,), 2 * block * dt.itemsize,
                    (dy3, x3, mean, psdy, psdyx, C, S, m, chunk))
    grad_weight, grad_bias = xp.empty((C,), dt), xp.empty((C,), dt)
    launcher.launch("bn_backward_finalize", dt, (C,), (fin,), 2 * fin * dt.itemsize,
                    (psdy, psdyx, invstd, grad_weight, grad_bias, chunks))
    dx = xp.empty_like(x3)
    launcher.launch("bn_backward_dx", dt, _elementwise_grid(x3.size, block), (block,), 0,
                    (dy3, x3, mean, invstd, w, grad_weight, grad_bias, dx, C, S, x3.size, m))
    return dx.reshape(x.shape), grad_weight, grad_bias


__all__ = ["forward_train", "forward_inference", "backward", "BLOCK", "ITEMS_PER_THREAD"]
