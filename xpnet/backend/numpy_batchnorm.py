"""Batch normalization for the NumPy backend: per-channel statistics over (N, *spatial).

Every input ``x`` of shape ``(N, C, *spatial)`` is handled as the view
``x3 = x.reshape(N, C, S)`` (``S = prod(spatial)``, 1 for ``(N, C)``); each
channel's statistics run over the ``m = N * S`` values ``x3[:, c, :]``.

Numerics (float32 as well as float64)
-------------------------------------
The statistics use the *corrected two-pass* algorithm (Chan, Golub & LeVeque,
"Algorithms for computing the sample variance", 1983)::

    mean0 = sum(x) / m                        # first pass (may be slightly off)
    d     = x - mean0                         # centred data (exact when |d| << |x|)
    mean  = mean0 + sum(d) / m                # corrects mean0's rounding error
    var   = sum(d*d) / m - (sum(d) / m)**2    # the correction term is tiny

so the result does not depend on how accurately the first pass summed, and
``E[x^2] - E[x]^2`` (catastrophic cancellation when ``|mean| >> std``) is never
formed.  Row sums over ``S`` run in the input dtype (SIMD ``einsum``), the
``N`` row results per channel are combined in float64.  Outputs keep the
input dtype.

Speed: each step is one vectorized pass (``einsum`` reductions, in-place
ufuncs writing into the output array, no other full-size temporaries):
forward 6 passes over the data, backward 7.  Large inputs are split into
channel blocks run by a small thread pool (NumPy releases the GIL inside
these loops), which is what PyTorch's 2 intra-op threads do too.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Tuple

import numpy


def _check_vectors(C, **vectors):
    """Each of ``vectors`` is None or a floating numpy array of shape (C,); else an
    error naming it."""
    for name, a in vectors.items():
        if a is None:
            continue
        if not isinstance(a, numpy.ndarray) or a.dtype.kind != "f":
            raise TypeError(f"{name} must be a floating numpy array; got {type(a).__name__} "
                            f"with dtype {getattr(a, 'dtype', None)}")
        if a.shape != (C,):
            raise ValueError(f"{name} must have shape (C,) = ({C},); got {a.shape}")


def _as3d(x, name="x"):
    """``x`` (N, C, *spatial) as an (N, C, S) array (a view when the strides allow)."""
    if not isinstance(x, numpy.ndarray) or x.dtype not in (numpy.float32, numpy.float64):
        raise TypeError(f"{name} must be a float32 or float64 numpy array; got "
                        f"{type(x).__name__} with dtype {getattr(x, 'dtype', None)}")
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (N, C, *spatial); got shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {x.shape}")
    return x.reshape(x.shape[0], x.shape[1], -1)


def _channel_sum(a3):
    """``sum(a3[:, c, :])`` per channel: (N, C) row sums in a3's dtype, then a float64 sum."""
    return numpy.einsum("ncs->nc", a3).sum(axis=0, dtype=numpy.float64)


def _channel_dot(a3, b3):
    """``sum(a3[:, c, :] * b3[:, c, :])`` per channel, like :func:`_channel_sum`."""
    return numpy.einsum("ncs,ncs->nc", a3, b3).sum(axis=0, dtype=numpy.float64)


def _col(v, dtype):
    """Per-channel vector (C,) as a (C, 1) column in ``dtype``, broadcasting over (N, C, S)."""
    return numpy.asarray(v, dtype=dtype).reshape(-1, 1)


def _centre(x3, out3):
    """Corrected two-pass statistics; leaves ``out3 = x3 - mean0``.

    Returns (mean, biased var, mean0) as float64 (C,) arrays.
    """
    m = x3.shape[0] * x3.shape[2]
    mean0 = (_channel_sum(x3) / m).astype(x3.dtype)
    numpy.subtract(x3, mean0.reshape(-1, 1), out=out3)
    shift = _channel_sum(out3) / m
    var = _channel_dot(out3, out3) / m - shift * shift
    return mean0 + shift, numpy.maximum(var, 0.0), mean0


# ---------------------------------------------------------------------- #
# channel-parallel execution
# ---------------------------------------------------------------------- #
#: worker threads for large inputs (NumPy releases the GIL inside ufuncs and
#: einsum, so channel blocks run truly in parallel, like PyTorch's 2 threads)
NUM_THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                         else (os.cpu_count() or 1)))
#: below this many elements one thread is faster than the hand-off (~50 us)
_MIN_PARALLEL = 1 << 17
_pool: Optional[ThreadPoolExecutor] = None
_pool_lock = threading.Lock()


def _channel_blocks(fn, N, C, S):
    """Run ``fn(channel_slice)`` over contiguous channel blocks, in parallel when large.

    Statistics are per channel, so blocks are independent; each ``fn`` writes
    only its own channels of the outputs.  Work maps onto threads as one
    channel block (a strided (N, Cb, S) view) per worker.
    """
    global _pool
    nblocks = min(NUM_THREADS, C) if N * C * S >= _MIN_PARALLEL else 1
    if nblocks == 1:
        fn(slice(0, C))
        return
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(NUM_THREADS, thread_name_prefix="xpnet-bn")
    bounds = [C * i // nblocks for i in range(nblocks + 1)]
    futures = [_pool.submit(fn, slice(bounds[i], bounds[i + 1])) for i in range(nblocks)]
    for f in futures:
        f.result()


def _vec(a):
    """Optional (C,) parameter as float64 (None -> None)."""
    return None if a is None else numpy.asarray(a, dtype=numpy.float64)


# ---------------------------------------------------------------------- #
# the three ops
# ---------------------------------------------------------------------- #
def forward_train(x, weight: Optional[numpy.ndarray], bias: Optional[numpy.ndarray],
                  running_mean: Optional[numpy.ndarray], running_var: Optional[numpy.ndarray],
                  momentum: float, eps: float) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Batch norm with batch statistics (PyTorch training mode).

    ``y = (x - mean) * invstd * weight + bias`` with ``invstd = 1 / sqrt(var + eps)``,
    ``var`` biased; ``running_mean``/``running_var`` (if given) are updated in
    place with the *unbiased* variance ``var * m / (m - 1)``.

    x: (N, C, *spatial) float32/float64; weight, bias, running_*: (C,) or None.
    Returns ``(y, save_mean, save_invstd)``: y like x (dtype of x, C-contiguous),
    save_* (C,) in x's dtype.
    """
    x3 = _as3d(x)
    N, C, S = x3.shape
    _check_vectors(C, weight=weight, bias=bias, running_mean=running_mean,
                   running_var=running_var)
    m = N * S
    if m < 2:
        raise ValueError(f"batch norm in training needs more than 1 value per channel; got "
                         f"input shape {x.shape}")
    dtype = x.dtype
    w, b = _vec(weight), _vec(bias)
    y3 = numpy.empty((N, C, S), dtype=dtype)
    mean, invstd, var = (numpy.empty(C) for _ in range(3))

    def block(cs):
        mean[cs], var[cs], mean0 = _centre(x3[:, cs], y3[:, cs])
        invstd[cs] = 1.0 / numpy.sqrt(var[cs] + eps)
        # y = (x - mean0 - shift) * scale + bias = (x - mean0) * scale + (bias - shift * scale)
        scale = invstd[cs] if w is None else invstd[cs] * w[cs]
        offset = -(mean[cs] - mean0) * scale
        if b is not None:
            offset += b[cs]
        y3[:, cs] *= _col(scale, dtype)
        y3[:, cs] += _col(offset, dtype)

    _channel_blocks(block, N, C, S)
    if running_mean is not None:
        running_mean *= 1.0 - momentum
        running_mean += (momentum * mean).astype(running_mean.dtype)
    if running_var is not None:
        running_var *= 1.0 - momentum
        running_var += (momentum * var * (m / (m - 1))).astype(running_var.dtype)
    return y3.reshape(x.shape), mean.astype(dtype), invstd.astype(dtype)


def forward_inference(x, weight: Optional[numpy.ndarray], bias: Optional[numpy.ndarray],
                      running_mean, running_var, eps: float) -> numpy.ndarray:
    """``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias`` per channel.

    Computed as ``x * scale + offset`` (two passes).  x: (N, C, *spatial); the
    others (C,).  Returns y like x.
    """
    x3 = _as3d(x)
    N, C, S = x3.shape
    _check_vectors(C, weight=weight, bias=bias, running_mean=running_mean,
                   running_var=running_var)
    if running_mean is None or running_var is None:
        raise ValueError("forward_inference needs running_mean and running_var; got None")
    scale = 1.0 / numpy.sqrt(_vec(running_var) + eps)
    if weight is not None:
        scale *= weight
    offset = -_vec(running_mean) * scale
    if bias is not None:
        offset += bias
    y3 = numpy.empty((N, C, S), dtype=x.dtype)

    def block(cs):
        numpy.multiply(x3[:, cs], _col(scale[cs], x.dtype), out=y3[:, cs])
        y3[:, cs] += _col(offset[cs], x.dtype)

    _channel_blocks(block, N, C, S)
    return y3.reshape(x.shape)


def backward(grad_out, x, weight: Optional[numpy.ndarray], save_mean, save_invstd
             ) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
    """Gradients of :func:`forward_train` (batch statistics).

    With ``d = x - mean``, ``xhat = d * invstd`` and sums over all axes but C::

        grad_bias   = sum(dy)
        grad_weight = sum(dy * xhat) = invstd * sum(dy * d)
        grad_x      = weight * invstd * (dy - grad_bias / m - d * invstd**2 * sum(dy * d) / m)

    ``sum(dy * d)`` uses the centred ``d`` (never ``sum(dy*x) - mean*sum(dy)``).
    grad_out, x: (N, C, *spatial); weight, save_*: (C,).
    Returns ``(grad_x like x, grad_weight (C,), grad_bias (C,))`` in x's dtype.
    """
    x3 = _as3d(x)
    dy3 = _as3d(grad_out, "grad_out")
    if dy3.shape != x3.shape or grad_out.dtype != x.dtype:
        raise ValueError(f"grad_out must match x in shape and dtype; got {grad_out.shape} "
                         f"{grad_out.dtype} and {x.shape} {x.dtype}")
    N, C, S = x3.shape
    _check_vectors(C, weight=weight, save_mean=save_mean, save_invstd=save_invstd)
    m = N * S
    dtype = x.dtype
    invstd = _vec(save_invstd)
    k = invstd if weight is None else invstd * weight
    dx3 = numpy.empty((N, C, S), dtype=dtype)
    grad_bias, dot = numpy.empty(C), numpy.empty(C)

    def block(cs):
        d = dx3[:, cs]
        numpy.subtract(x3[:, cs], _col(save_mean[cs], dtype), out=d)
        dyb = dy3[:, cs]
        grad_bias[cs] = _channel_sum(dyb)
        dot[cs] = _channel_dot(dyb, d)                       # sum(dy * d)
        # grad_x = k * (dy - (d * c1 + grad_bias / m)): four in-place passes over d
        d *= _col(invstd[cs] ** 2 * dot[cs] / m, dtype)
        d += _col(grad_bias[cs] / m, dtype)
        numpy.subtract(dyb, d, out=d)
        d *= _col(k[cs], dtype)

    _channel_blocks(block, N, C, S)
    return dx3.reshape(x.shape), (dot * invstd).astype(dtype), grad_bias.astype(dtype)
