"""Gradient buckets: grouping by dtype under a byte cap, one collective per bucket."""
import numpy
import pytest

import xpnet
from fakes import MirrorWorld
from xpnet.distributed.buckets import plan_buckets, reduce_in_buckets


def sizes(*specs):
    """``(dtype, nbytes)`` of arrays of ``n`` elements of ``dtype``, per ``(n, dtype)``."""
    return [(numpy.dtype(dtype), n * numpy.dtype(dtype).itemsize) for n, dtype in specs]


@pytest.mark.parametrize("specs, cap, expected", [
    ([], 100, []),
    ([(10, "float32")] * 3, 10**6, [[0, 1, 2]]),                       # all fit: one message
    ([(10, "float32")] * 3, 80, [[0, 1], [2]]),                         # 40 + 40 bytes, then full
    ([(10, "float32"), (30, "float32"), (5, "float32")], 80, [[0], [1], [2]]),  # 120 > cap: alone
    ([(4, "float32"), (4, "float64"), (4, "float32"), (4, "int64")], 10**6,
     [[0, 2], [1], [3]]),                                               # one dtype per bucket
])
def test_plan_groups_same_dtype_in_order_under_the_cap(specs, cap, expected):
    assert plan_buckets(sizes(*specs), cap) == expected


def test_every_index_lands_in_exactly_one_bucket_within_the_cap():
    rng = numpy.random.default_rng(0)
    specs = [(int(rng.integers(1, 50)), rng.choice(["float32", "float64"])) for _ in range(40)]
    cap = 200
    buckets = plan_buckets(sizes(*specs), cap)
    assert sorted(i for b in buckets for i in b) == list(range(40))
    for b in buckets:
        assert len({specs[i][1] for i in b}) == 1
        assert b == sorted(b)
        nbytes = sum(specs[i][0] * numpy.dtype(specs[i][1]).itemsize for i in b)
        assert nbytes <= cap or len(b) == 1


def test_reduce_sends_one_flat_message_per_bucket_and_unpacks_shapes(backend_name):
    world = MirrorWorld(world_size=4)
    host = [numpy.arange(6.0).reshape(2, 3), numpy.arange(3.0), numpy.ones((2, 2), numpy.float32)]
    data = [xpnet.tensor(a).data for a in host]
    out = reduce_in_buckets(data, 10**6, xpnet.get_backend(), world, world.all_reduce_sum_,
                            divisor=2)
    assert world.calls == [("all_reduce", numpy.dtype("float64"), 9),
                           ("all_reduce", numpy.dtype("float32"), 4)]
    backend = xpnet.get_backend()
    for a, r in zip(host, out):
        got = backend.to_numpy(r)
        assert got.dtype == a.dtype and got.shape == a.shape
        numpy.testing.assert_array_equal(got, a * 4 / 2)
    for a, d in zip(host, data):  # the inputs are not modified
        numpy.testing.assert_array_equal(backend.to_numpy(d), a)
