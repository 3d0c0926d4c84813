"""Gradient buckets: many small arrays travel as a few large flat messages.

A collective costs a fixed latency plus its bytes over the bandwidth, so
sending 10 parameters' gradients as 10 messages pays the latency 10 times.
As PyTorch's DDP (``bucket_cap_mb=25``), the tensors are grouped, in their
order, into buckets of one dtype holding at most ``cap_bytes`` each (a tensor
larger than the cap gets a bucket of its own); each bucket is packed into one
flat array (``concat`` of the raveled arrays), sent by one collective and
unpacked into views of the result, reshaped.

>>> import numpy
>>> from xpnet.distributed.buckets import plan_buckets
>>> f32, f64 = numpy.dtype("float32"), numpy.dtype("float64")
>>> plan_buckets([(f32, 400), (f64, 800), (f32, 400), (f32, 1200)], cap_bytes=1000)
[[0, 2], [1], [3]]

See also: :class:`~xpnet.distributed.ddp.DistributedDataParallel`.
"""
from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

import numpy

DEFAULT_BUCKET_CAP_MB = 25  # PyTorch's default
MB = 1024 * 1024  # bucket_cap_mb counts MiB, as PyTorch


def _numel(a: Any) -> int:
    return int(numpy.prod(a.shape, dtype=numpy.int64))


def plan_buckets(sizes: Sequence[Tuple[numpy.dtype, int]], cap_bytes: int) -> List[List[int]]:
    """Group indices of ``sizes`` (``(dtype, nbytes)`` per array) into buckets of one dtype.

    A bucket holds at most ``cap_bytes`` unless it has a single array.
    Indices keep their order inside a bucket; buckets are listed in the order
    they were opened.
    """
    buckets: List[List[int]] = []
    open_bucket = {}  # dtype -> [indices, bytes] of the bucket being filled
    for i, (dtype, nbytes) in enumerate(sizes):
        current = open_bucket.get(dtype)
        if current is None or (current[0] and current[1] + nbytes > cap_bytes):
            current = open_bucket[dtype] = [[], 0]
            buckets.append(current[0])
        current[0].append(i)
        current[1] += nbytes
    return buckets


def reduce_in_buckets(arrays: Sequence[Any], cap_bytes: int, backend: Any, world: Any,
                      collective: Callable[[Any], None], divisor: int = 1) -> List[Any]:
    """Apply ``collective`` once per bucket of ``arrays``; the results, in the order of ``arrays``.

    Args:
        arrays: arrays of ``backend`` (any shapes); they are not modified.
        cap_bytes: the largest bucket (:func:`plan_buckets`).
        world: the :class:`~xpnet.distributed.communicator.Communicator`.
        collective: an in-place collective of ``world`` taking one flat buffer
            (``world.all_reduce_sum_``, or a broadcast from one rank).
        divisor: divide each reduced bucket by this (``world_size`` turns a
            sum into a mean, as PyTorch's DDP divides); 1 leaves it as it is.

    Each result is a view into its bucket's flat array, reshaped.
    """
    xp = backend.xp
    sizes = [backend.dtype_of(a) for a in arrays]
    sizes = [(d, _numel(a) * d.itemsize) for d, a in zip(sizes, arrays)]
    out: List[Any] = list(arrays)
    for indices in plan_buckets(sizes, cap_bytes):
        flat = xp.concat([xp.reshape(arrays[i], (-1,)) for i in indices])
        flat = world.run_on(flat, backend, collective)
        if divisor != 1:
            flat = flat / divisor
        offset = 0
        for i in indices:
            n = _numel(arrays[i])
            out[i] = xp.reshape(flat[offset:offset + n], tuple(arrays[i].shape))
            offset += n
    return out


__all__ = ["plan_buckets", "reduce_in_buckets", "DEFAULT_BUCKET_CAP_MB", "MB"]
