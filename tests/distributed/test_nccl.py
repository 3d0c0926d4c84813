"""NCCLCommunicator: the calls into cupy.cuda.nccl, checked on stand-ins; real GPUs where present.

The stand-ins follow CuPy's documented API: ``get_unique_id()`` (bytes since
CuPy 14, a tuple of ints before), ``NcclCommunicator(ndev, commId, rank)``,
``allReduce(sendbuf, recvbuf, count, datatype, op, stream)`` and
``bcast(buff, count, datatype, root, stream)`` on raw pointers.
"""
import types

import numpy
import pytest

from backends import require_backend
from mpi_jobs import assert_collectives, results
from xpnet.distributed.nccl import NCCLCommunicator, UNIQUE_ID_BYTES

STREAM_PTR = 0xBEEF


class FakeMPI:
    """The bootstrap communicator of one rank; ``broadcast_`` delivers rank 0's buffer."""

    def __init__(self, rank, world_size=2, local_rank=None, sent=None):
        self.rank, self.world_size = rank, world_size
        self.local_rank = rank if local_rank is None else local_rank
        self.sent = {} if sent is None else sent  # shared by the ranks of one fake job
        self.barriers = 0

    def broadcast_(self, buf, src):
        if self.rank == src:
            self.sent["uid"] = buf.copy()
        else:
            buf[...] = self.sent["uid"]

    def barrier(self):
        self.barriers += 1


def fake_nccl(uid):
    log = []

    class NcclCommunicator:
        def __init__(self, ndev, comm_id, rank):
            log.append(("init", ndev, comm_id, rank))

        def allReduce(self, *args):
            log.append(("allReduce",) + args)

        def bcast(self, *args):
            log.append(("bcast",) + args)

    def get_unique_id():
        log.append(("get_unique_id",))
        return uid
    constants = dict(NCCL_SUM=0, NCCL_INT8=0, NCCL_UINT8=1, NCCL_INT32=2, NCCL_INT64=4,
                     NCCL_FLOAT16=6, NCCL_FLOAT32=7, NCCL_FLOAT64=8)
    return types.SimpleNamespace(NcclCommunicator=NcclCommunicator, get_unique_id=get_unique_id,
                                 log=log, **constants)


def fake_cuda(devices=2):
    used, synced = [], []
    stream = types.SimpleNamespace(ptr=STREAM_PTR, synchronize=lambda: synced.append(True))
    return types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: devices),
        Device=lambda i: types.SimpleNamespace(use=lambda: used.append(i)),
        get_current_stream=lambda: stream, used=used, synced=synced)


class FakeDeviceArray:
    def __init__(self, size, dtype, ptr=0x1000, contiguous=True):
        self.size, self.dtype = size, numpy.dtype(dtype)
        self.data = types.SimpleNamespace(ptr=ptr)
        self.flags = types.SimpleNamespace(c_contiguous=contiguous)


def job(uid, world_size=2):
    """The NCCLCommunicator of every rank of a fake job, rank 0 first, and their nccl/cuda stand-ins."""
    sent, out = {}, []
    for rank in range(world_size):
        nccl, cuda = fake_nccl(uid), fake_cuda()
        comm = NCCLCommunicator(FakeMPI(rank, world_size, sent=sent), nccl=nccl, cuda=cuda)
        out.append((comm, nccl, cuda))
    return out


@pytest.mark.parametrize("uid", [bytes(range(128)),                       # CuPy >= 14
                                 tuple(range(-128, 0))])                  # CuPy < 14: C chars
def test_rank0_unique_id_reaches_every_rank_in_cupys_form(uid):
    ranks = job(uid, world_size=3)
    for rank, (comm, nccl, _) in enumerate(ranks):
        calls = [c[0] for c in nccl.log]
        assert calls == (["get_unique_id", "init"] if rank == 0 else ["init"])
        assert nccl.log[-1] == ("init", 3, uid, rank)
        assert type(nccl.log[-1][2]) is type(uid)


@pytest.mark.parametrize("local_rank, devices, expected", [(0, 2, 0), (1, 2, 1), (3, 2, 1), (5, 8, 5)])
def test_device_is_chosen_by_local_rank(local_rank, devices, expected):
    cuda = fake_cuda(devices)
    comm = NCCLCommunicator(FakeMPI(0, local_rank=local_rank), nccl=fake_nccl(bytes(128)), cuda=cuda)
    assert cuda.used == [expected] and comm.device_id == expected


def test_all_reduce_and_broadcast_pass_pointer_count_datatype_and_stream():
    (comm, nccl, cuda), _ = job(bytes(128))
    comm.all_reduce_sum_(FakeDeviceArray(10, "float32", ptr=0x1234))
    comm.broadcast_(FakeDeviceArray(3, "int64", ptr=0x5678), src=1)
    assert nccl.log[-2] == ("allReduce", 0x1234, 0x1234, 10, nccl.NCCL_FLOAT32, nccl.NCCL_SUM, STREAM_PTR)
    assert nccl.log[-1] == ("bcast", 0x5678, 3, nccl.NCCL_INT64, 1, STREAM_PTR)


def test_barrier_waits_for_the_stream_then_all_ranks():
    (comm, _, cuda), _ = job(bytes(128))
    comm.barrier()
    assert cuda.synced == [True] and comm.mpi.barriers == 1


@pytest.mark.parametrize("call, err, msg", [
    (lambda c: c.all_reduce_sum_(numpy.zeros(3)), TypeError, "needs a C-contiguous CuPy array; got ndarray"),
    (lambda c: c.broadcast_(FakeDeviceArray(3, "float32", contiguous=False), 0), TypeError, "C-contiguous"),
    (lambda c: c.all_reduce_sum_(FakeDeviceArray(3, "complex64")), TypeError, "dtype must be one of .*; got complex64"),
    (lambda c: c.all_reduce_sum_(FakeDeviceArray(3, "bool")), TypeError, "does not sum bool"),
])
def test_bad_buffers_are_rejected_before_any_nccl_call(call, err, msg):
    (comm, nccl, _), _ = job(bytes(128))
    before = list(nccl.log)
    with pytest.raises(err, match=msg):
        call(comm)
    assert nccl.log == before


def test_a_unique_id_of_the_wrong_length_is_an_error():
    with pytest.raises(ValueError, match=f"must return {UNIQUE_ID_BYTES} bytes; got 5"):
        NCCLCommunicator(FakeMPI(0), nccl=fake_nccl(bytes(5)), cuda=fake_cuda())


@pytest.mark.gpu
def test_collectives_and_training_on_two_gpus(tmp_path):
    """The collectives job of test_mpi on the cupy backend: NCCL, one GPU per rank."""
    require_backend("cupy")
    import cupy
    if cupy.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs 2 GPUs (NCCL puts one rank on each)")
    ranks = results("collectives", tmp_path, backend="cupy")
    assert_collectives(ranks)


@pytest.mark.gpu
def test_data_parallel_training_on_two_gpus_matches_one_cpu_process(tmp_path):
    """The MLP proof of test_mpi with NCCL: ranks agree exactly, and with NumPy to the float64 tolerance."""
    require_backend("cupy")
    import cupy
    if cupy.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs 2 GPUs (NCCL puts one rank on each)")
    import mpi_worker as worker
    from tolerances import assert_close
    from xpnet.data import DataLoader
    rank0, rank1 = results("train:mlp", tmp_path, backend="cupy")
    single = worker.make_model("mlp", seed=100)
    worker.train(single, DataLoader(worker.make_data("mlp"), batch_size=worker.GLOBAL_BATCH,
                                    shuffle=True, seed=worker.SEED))
    for name, value in worker.state(single).items():
        numpy.testing.assert_array_equal(rank1[f"final/{name}"], rank0[f"final/{name}"])
        assert_close(rank0[f"final/{name}"], value)
