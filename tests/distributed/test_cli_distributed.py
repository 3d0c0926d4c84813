"""``mpiexec -n 2 python -m xpnet train --distributed``: one job, rank 0 alone prints and saves.

The data-parallel run with per-rank batch B/2 must train the model a single
process trains with batch B: compared here through the checkpoints both
write, with dropout off (each rank draws its own masks) and plain SGD with
momentum, in float32, so within the float32 row of the tolerance table (the
two runs sum each gradient in a different order, ~1e-7 relative per step).
The training set (an ``.npz`` given with ``--data``) has 1024 samples, a
multiple of the batch: with a short last batch the ranks pad it with a repeated
sample (as PyTorch's DistributedSampler) and the runs would differ there.
"""
import numpy

import xpnet
from mpi_jobs import launch, run
from tolerances import assert_close
from xpnet.cli import main

ARGS = ["--model", "mlp", "--batch-size", "64", "--dropout", "0", "--optimizer", "momentum", "--lr", "0.05",
        "--epochs", "2", "--no-progress"]


def test_two_ranks_train_what_one_process_trains_and_only_rank_0_speaks(tmp_path):
    x, y = xpnet.data.load_digits()
    data = tmp_path / "digits1024.npz"
    numpy.savez(data, x_train=x[:1024], y_train=y[:1024], x_test=x[1024:], y_test=y[1024:])
    args = ["--data", str(data), *ARGS]
    job = launch(["-m", "xpnet", "train", "--distributed", "--save", str(tmp_path / "two.xpt"),
                  *args])
    assert job.returncode == 0, job.stdout
    assert job.stdout.count("test accuracy:") == 1 and "on 2 ranks" in job.stdout, job.stdout
    assert main(["train", "--save", str(tmp_path / "one.xpt"), *args]) == 0
    two, one = xpnet.load(tmp_path / "two.xpt"), xpnet.load(tmp_path / "one.xpt")
    assert two["step"] == one["step"] == 2 * 1024 // 64  # the same number of global batches
    assert sorted(two["model"]) == sorted(one["model"])  # saved unwrapped: no "module." prefix
    for key, w in one["model"].items():
        assert_close(two["model"][key], w)
    # training moved the weights (so the comparison is not trivial), and both runs agree on it
    assert two["history"][1]["val_loss"] < two["history"][0]["val_loss"]
    assert_close(numpy.array([r["val_loss"] for r in two["history"]]),
                 numpy.array([r["val_loss"] for r in one["history"]]), "float32")


def test_a_global_batch_the_ranks_cannot_share_is_refused_on_every_rank(tmp_path):
    job = launch(["-m", "xpnet", "train", "--distributed", *ARGS, "--batch-size", "63"])
    assert job.returncode != 0
    assert "--batch-size 63 must be divisible by the number of ranks (2)" in job.stdout
    assert "Traceback" not in job.stdout


def test_an_error_the_cli_reports_on_one_rank_only_ends_the_whole_job(tmp_path):
    job = run("cli_raise:error", tmp_path)  # fails the test after the timeout if the job hangs
    assert job.returncode != 0, job.stdout
    assert "xpnet train: error on rank 1: deliberate failure in training on rank 1" in job.stdout


def test_a_nan_on_one_rank_trips_the_guard_on_every_rank_at_the_same_step(tmp_path):
    # the gradients are averaged before the guard looks at them: rank 0, whose loss is finite,
    # sees the NaN too; the first rank to abort ends the job, so the other may print nothing
    job = run("cli_raise:nan", tmp_path)
    assert job.returncode != 0, job.stdout
    errors = [line for line in job.stdout.splitlines() if line.startswith("xpnet train: error")]
    expected = {"xpnet train: error on rank 0: non-finite gradient at epoch 1, step 3 ",
                "xpnet train: error on rank 1: non-finite loss at epoch 1, step 3 "}
    assert errors and all(any(e.startswith(x) for x in expected) for e in errors), job.stdout
    assert "Traceback" not in job.stdout  # both aborting: no rank may go on without a result


def test_every_rank_and_a_single_process_resume_a_distributed_checkpoint(tmp_path):
    """A 2-rank run saved after epoch 1 continues to epoch 2 on 2 ranks and on 1 process, and
    both end where a 2-epoch run from scratch ends (no dropout, so no per-rank masks)."""
    x, y = xpnet.data.load_digits()
    data = tmp_path / "digits1024.npz"
    numpy.savez(data, x_train=x[:1024], y_train=y[:1024], x_test=x[1024:], y_test=y[1024:])
    args = ["--data", str(data), *ARGS]
    half = str(tmp_path / "half.xpt")
    job = launch(["-m", "xpnet", "train", "--distributed", "--save", half, *args, "--epochs", "1"])
    assert job.returncode == 0, job.stdout
    job = launch(["-m", "xpnet", "train", "--distributed", "--resume", half,
                  "--save", str(tmp_path / "two.xpt"), *args])
    assert job.returncode == 0, job.stdout
    assert job.stdout.count("resuming after epoch 1") == 1, job.stdout
    assert main(["train", "--resume", half, "--save", str(tmp_path / "one.xpt"), *args]) == 0
    assert main(["train", "--save", str(tmp_path / "straight.xpt"), *args]) == 0
    straight = xpnet.load(tmp_path / "straight.xpt")
    for name in ("two", "one"):
        resumed = xpnet.load(tmp_path / f"{name}.xpt")
        assert resumed["epoch"] == 2 and resumed["step"] == straight["step"]
        for key, w in straight["model"].items():
            assert_close(resumed["model"][key], w)
