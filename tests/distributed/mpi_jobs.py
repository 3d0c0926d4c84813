"""Run ``tests/distributed/mpi_worker.py`` under ``mpiexec`` for the tests, or say why not."""
import os
import shutil
import signal
import subprocess
import sys
from typing import Optional

import numpy
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 120  # seconds; a job that hangs in a collective fails instead of blocking CI


def mpiexec() -> Optional[str]:
    """The ``mpiexec`` of this Python's environment (the ``mpich`` wheel's), else the one on PATH."""
    return (shutil.which("mpiexec", path=os.path.dirname(sys.executable))
            or shutil.which("mpiexec"))


def require_mpi() -> str:
    """Skip the calling test without mpi4py or mpiexec; the ``mpiexec`` path otherwise."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("mpi4py is not installed (pip install 'xpnet[mpi]')")
    path = mpiexec()
    if path is None:
        pytest.skip("no mpiexec found (pip install 'xpnet[mpi]' installs MPICH's)")
    return path


def run(case: str, out_dir, ranks: int = 2, backend: str = "numpy") -> subprocess.CompletedProcess:
    """``mpiexec -n ranks python mpi_worker.py case out_dir`` on ``backend``; killed after TIMEOUT s."""
    return launch([os.path.join(HERE, "mpi_worker.py"), case, str(out_dir)], ranks, backend)


def launch(argv: list, ranks: int = 2, backend: str = "numpy") -> subprocess.CompletedProcess:
    """``mpiexec -n ranks python *argv`` on ``backend`` (stdout and stderr together);
    killed, and the test failed, after TIMEOUT s."""
    cmd = [require_mpi(), "-n", str(ranks), sys.executable, *argv]
    env = dict(os.environ, XPNET_BACKEND=backend, PYTHONPATH=ROOT)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"{' '.join(cmd)} did not finish in {TIMEOUT} s (a hang?); output:\n{out}")
    return subprocess.CompletedProcess(cmd, proc.returncode, out)


def results(case: str, out_dir, ranks: int = 2, backend: str = "numpy") -> list:
    """Run ``case`` (it must succeed) and load each rank's ``.npz``, rank 0 first."""
    job = run(case, out_dir, ranks, backend)
    assert job.returncode == 0, f"{' '.join(job.args)} exited {job.returncode}:\n{job.stdout}"
    name = case.replace(":", "")
    return [dict(numpy.load(os.path.join(out_dir, f"{name}-{r}.npz"))) for r in range(ranks)]


def assert_collectives(ranks: list) -> None:
    """Check the results of the ``collectives`` job of two ranks (sum, mean, broadcast per dtype)."""
    from mpi_worker import DTYPES
    local = {name: [numpy.arange(5).astype(name) + 10 * r for r in range(2)] for name in DTYPES}
    for r, got in enumerate(ranks):
        for name, (a, b) in local.items():
            expected = {f"sum/{name}": a + b, f"bcast/{name}": b}
            if name.startswith("float"):
                expected[f"mean/{name}"] = (a + b) / 2
            for key, value in expected.items():
                assert got[key].dtype == numpy.dtype(name), f"rank {r} {key}: {got[key].dtype}"
                numpy.testing.assert_array_equal(got[key], value, err_msg=f"rank {r} {key}")
