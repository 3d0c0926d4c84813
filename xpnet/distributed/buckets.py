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
>>> arrays = [numpy.zeros(100, numpy.float32), numpy.zeros(100, numpy.float64),
...           numpy.zeros(100, numpy.float32), numpy.zeros(300, numpy.float32)]
>>> plan_buckets(arrays, cap_bytes=1000)          # 400 + 400 bytes fit, 1200 alone
[[0, 2], [1], [3]]

See also: :class:`~xpnet.distributed.ddp.DistributedDataParallel`.
"""
from __future__ import annotations

from typing import Any, Callable, List, Sequence

import numpy

DEFAULT_BUCKET_CAP_MB = 25  # PyTorch's default
MB = 1024 * 1024  # bucket_cap_mb counts MiB, as PyTorch


def plan_buckets(arrays: Sequence[Any], cap_bytes: int) -> List[List[int]]:
    """Group the indices of ``arrays`` into buckets of one dtype and at most ``cap_bytes``.

    Indices keep their order inside a bucket; buckets are listed in the order
    they were opened.  ``arrays`` need ``.dtype`` and ``.shape`` only.
    """
    buckets: List[List[int]] = []
    open_bucket = {}  # dtype -> [indices, bytes] of the bucket being filled
    for i, a in enumerate(arrays):
        dtype = numpy.dtype(str(a.dtype))
        nbytes = int(numpy.prod(a.shape, dtype=numpy.int64)) * dtype.itemsize
        current = open_bucket.get(dtype)
        if current is None or (current[0] and current[1] + nbytes > cap_bytes):
            current = open_bucket[dtype] = [[], 0]
            buckets.append(current[0])
        current[0].append(i)
        current[1] += nbytes
    return buckets


def reduce_in_buckets(arrays: Sequence[Any], buckets: Sequence[Sequence[int]], backend: Any,
                      world: Any, collective: Callable[[Any], None],
                      divisor: int = 1) -> List[Any]:
    """Apply ``collective`` once per bucket of ``arrays``; the results, in the order of ``arrays``.

    Args:
        arrays: arrays of ``backend`` (any shapes); they are not modified.
        buckets: lists of indices into ``arrays``, e.g. from :func:`plan_buckets`.
        world: the :class:`~xpnet.distributed.communicator.Communicator`.
        collective: an in-place collective of ``world`` taking one flat buffer
            (``world.all_reduce_sum_``, or a broadcast from one rank).
        divisor: divide each reduced bucket by this (``world_size`` turns a
            sum into a mean, as PyTorch's DDP divides); 1 leaves it as it is.

    Each result is a view into its bucket's flat array, reshaped.
    """
    xp = backend.xp
    out: List[Any] = list(arrays)
    for indices in buckets:
        flat = xp.concat([xp.reshape(arrays[i], (-1,)) for i in indices])
        flat = world.run_on(flat, backend, collective)
        if divisor != 1:
            flat = flat / divisor
        offset = 0
        for i in indices:
            n = int(numpy.prod(arrays[i].shape, dtype=numpy.int64))
            out[i] = xp.reshape(flat[offset:offset + n], tuple(arrays[i].shape))
            offset += n
    return out


__all__ = ["plan_buckets", "reduce_in_buckets", "DEFAULT_BUCKET_CAP_MB", "MB"]
