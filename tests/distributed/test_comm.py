"""The process group in one process: world size 1 without a launcher, collectives, errors."""
import os
import subprocess
import sys

import numpy
import pytest

import xpnet
from fakes import MirrorWorld
from xpnet import distributed as dist
from xpnet.distributed.communicator import LocalCommunicator
from xpnet.distributed.mpi import MPI_ENV_VARS, abort_on_uncaught_exception, launched_by_mpi

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def no_launcher(monkeypatch):
    for name in MPI_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def test_without_a_launcher_the_world_is_one_process(no_launcher):
    assert dist.setup() == (0, 1)
    assert isinstance(dist.get_world(), LocalCommunicator)
    assert dist.rank() == 0 and dist.world_size() == 1 and dist.is_main()
    dist.barrier()
    assert dist.init() is dist.get_world()  # joined once


def test_without_a_launcher_mpi4py_is_not_imported():
    env = {k: v for k, v in os.environ.items() if k not in MPI_ENV_VARS}
    code = ("import sys; from xpnet import distributed as d; d.init(); "
            "print(d.world_size(), 'mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "False"]


@pytest.mark.parametrize("environ, expected", [
    ({"PMI_RANK": "1", "PMI_SIZE": "2"}, True), ({"OMPI_COMM_WORLD_SIZE": "4"}, True),
    ({"PMIX_RANK": "0"}, True), ({"SLURM_PROCID": "0"}, False), ({}, False)])
def test_launched_by_mpi_reads_the_launchers_variables(environ, expected):
    assert launched_by_mpi(environ) is expected


def test_a_launched_job_without_mpi4py_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py -> ImportError
    monkeypatch.setenv("PMI_RANK", "0")
    monkeypatch.setenv("PMI_SIZE", "2")
    with pytest.raises(ImportError, match=r"2 processes .* pip install 'xpnet\[mpi\]'"):
        dist.init()
    monkeypatch.setenv("PMI_SIZE", "1")  # a lone process: it can run without MPI
    assert isinstance(dist.init(), LocalCommunicator)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64"])
def test_collectives_of_one_process_leave_values_and_dtype(backend_name, dtype, no_launcher):
    values = numpy.arange(6).reshape(2, 3).astype(dtype)
    t = xpnet.tensor(values)
    assert dist.all_reduce(t) is t
    assert t.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(t.numpy(), values)
    numpy.testing.assert_array_equal(dist.broadcast(t, src=0).numpy(), values)
    if dtype.startswith("float"):
        numpy.testing.assert_array_equal(dist.all_reduce(t, op="mean").numpy(), values)


def test_collectives_on_a_two_rank_world_sum_mean_and_broadcast(backend_name):
    world = dist.init(communicator=MirrorWorld(world_size=2, rank=1, rank0_value=5))
    values = numpy.array([[1.0, 2.0], [3.0, 4.0]], numpy.float32)
    t = xpnet.tensor(values).transpose(0, 1)  # not contiguous: it goes through a copy
    numpy.testing.assert_array_equal(dist.all_reduce(t).numpy(), 2 * values.T)
    numpy.testing.assert_array_equal(dist.all_reduce(t, op="mean").numpy(), 2 * values.T)
    numpy.testing.assert_array_equal(dist.broadcast(t, src=0).numpy(), numpy.full((2, 2), 5))
    assert t.dtype == numpy.float32 and t.backend.name == backend_name
    assert world.names() == ["all_reduce", "all_reduce", "broadcast"]


@pytest.mark.parametrize("call, err, msg", [
    (lambda: dist.all_reduce(numpy.ones(2)), TypeError, r"all_reduce\(tensor\) needs an xpnet Tensor; got ndarray"),
    (lambda: dist.all_reduce(xpnet.ones(2), op="max"), ValueError, r"op\) must be one of \('sum', 'mean'\); got 'max'"),
    (lambda: dist.all_reduce(xpnet.tensor([1, 2]), op="mean"), TypeError, "needs a floating tensor; got dtype int64"),
    (lambda: dist.all_reduce(xpnet.tensor([True])), TypeError, "does not sum bool"),
    (lambda: dist.broadcast(xpnet.ones(2), src=1), ValueError, r"src\) must be a rank in 0..0; got 1"),
    (lambda: dist.broadcast(xpnet.ones(2), src=-1), ValueError, "src must be an int >= 0"),
    (lambda: dist.init(communicator="mpi"), TypeError, "must be a Communicator; got str"),
    (lambda: dist.init(backend=3), TypeError, "backend name or None; got 3"),
])
def test_bad_arguments_name_the_argument(call, err, msg, no_launcher):
    with pytest.raises(err, match=msg):
        call()


def test_failed_collective_leaves_the_tensor_unchanged(no_launcher):
    t = xpnet.tensor([1, 2])
    with pytest.raises(TypeError):
        dist.all_reduce(t, op="mean")
    numpy.testing.assert_array_equal(t.numpy(), [1, 2])


class FakeMPIComm:
    def __init__(self):
        self.aborted = []

    def Abort(self, code):
        self.aborted.append(code)


def test_uncaught_exception_prints_the_rank_and_aborts_the_job(monkeypatch, capsys):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    fake = FakeMPIComm()
    abort_on_uncaught_exception(fake, rank=3)
    try:
        raise KeyError("missing")
    except KeyError:
        sys.excepthook(*sys.exc_info())
    err = capsys.readouterr().err
    assert fake.aborted == [1]
    lines = err.splitlines()
    assert lines[0] == "[rank 3] Traceback (most recent call last):"
    assert lines[-1] == "[rank 3] KeyError: 'missing'"
    assert all(line.startswith("[rank 3] ") for line in lines)



def test_abort_ends_the_process_even_when_mpi_abort_returns(monkeypatch):
    # MPICH's Abort returned on rank 0 when both ranks aborted at once (the NaN guard tripping
    # everywhere): the CLI then went on with no result; the rank must exit with the code instead
    from xpnet.distributed import mpi
    exits = []

    def fake_exit(code):
        exits.append(code)
        raise SystemExit(code)
    monkeypatch.setattr(mpi.os, "_exit", fake_exit)
    world = object.__new__(mpi.MPICommunicator)
    world.comm = FakeMPIComm()  # its Abort returns
    with pytest.raises(SystemExit):
        world.abort(2)
    assert world.comm.aborted == [2] and exits == [2]
