"""The data-parallel throughput benchmark (``benchmarks/distributed_throughput.py``), kept from rotting.

CI runs it for one step on 1 and 2 ranks; the figures come from running the
script itself (``python benchmarks/distributed_throughput.py``) on a quiet machine.
"""
import pytest

import distributed_throughput


def test_throughput_script_reports_samples_per_second_and_efficiency():
    pytest.importorskip("mpi4py", reason="pip install 'xpnet[mpi]'")
    if distributed_throughput.find_mpiexec() is None:
        pytest.skip("no mpiexec (pip install 'xpnet[mpi]' installs MPICH's)")
    rows = distributed_throughput.main(["--ranks", "1", "2", "--steps", "1", "--warmup", "0",
                                        "--batch", "8"])
    assert [r["ranks"] for r in rows] == [1, 2]
    assert all(r["samples_per_s"] > 0 and r["global_batch"] == 8 for r in rows)
    assert rows[0]["efficiency"] == pytest.approx(1.0)
    assert rows[1]["efficiency"] == pytest.approx(rows[1]["samples_per_s"] / (2 * rows[0]["samples_per_s"]))
