"""The xpnet command: entry points, bench; errors as messages, not tracebacks (train: test_train.py)."""
import os
import subprocess
import sys

import pytest

from xpnet.cli import main


def test_cupy_without_device_is_a_clear_error(capsys):
    from xpnet.backend import backend_unavailable_reason
    if backend_unavailable_reason("cupy") is None:
        pytest.skip("a CUDA device is present")
    assert main(["train", "--backend", "cupy", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "cupy" in err and "not available" in err


def test_python_dash_m_entry_point():
    out = subprocess.run([sys.executable, "-m", "xpnet", "--help"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0 and "train" in out.stdout and "bench" in out.stdout


def test_bench_runs_one_case_with_and_without_torch(capsys):
    assert main(["bench", "--filter", "batch_norm fwd 64x64", "--repeat", "1", "--warmup", "0",
                 "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert "batch_norm fwd 64x64x14x14" in out and "GB/s" in out
