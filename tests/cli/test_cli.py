"""The xpnet command: train (the main job), selftest, bench; errors as messages, not tracebacks."""
import os
import subprocess
import sys

import pytest

from xpnet.cli import main
from xpnet.train.job import run as run_job


def test_main_job_mlp_reaches_095():
    result = run_job(model="mlp", epochs=40, progress=False)
    assert result.test_accuracy >= 0.95, result.test_accuracy
    assert len(result.history.epochs) == 40


def test_main_job_cnn_reaches_097():
    result = run_job(model="cnn", epochs=15, progress=False)
    assert result.test_accuracy >= 0.97, result.test_accuracy


def test_train_command_prints_test_accuracy(capsys):
    assert main(["train", "--model", "mlp", "--epochs", "2", "--no-progress",
                 "--optimizer", "sgd", "--lr", "0.05", "--batch-size", "32"]) == 0
    out = capsys.readouterr().out
    assert "test accuracy:" in out and "epoch   2" in out


def test_train_same_seed_same_result():
    a = run_job(model="mlp", epochs=2, progress=False, seed=3)
    b = run_job(model="mlp", epochs=2, progress=False, seed=3)
    assert a.history["loss"] == b.history["loss"]


@pytest.mark.parametrize("argv", [["train", "--epochs", "0"], ["train", "--lr", "-1"],
                                  ["train", "--optimizer", "lbfgs"], ["train", "--model", "rnn"]])
def test_train_rejects_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert "error" in capsys.readouterr().err


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
