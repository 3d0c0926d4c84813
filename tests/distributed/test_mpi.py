"""The proofs on real MPI: ``mpiexec -n 2`` jobs (NumPy backend), each killed after a timeout.

They skip, with the reason, where mpi4py or mpiexec is missing
(``pip install 'xpnet[mpi]'`` installs both; the ``test`` extra includes them).
"""
import numpy
import pytest

import mpi_worker as worker
from mpi_jobs import assert_collectives, results, run
from tolerances import DATA_PARALLEL_RTOL
from xpnet.data import DataLoader


@pytest.fixture(scope="module")
def job_results(tmp_path_factory):
    """``job_results(case)``: the ranks' results of ``case``, each case run once per module."""
    done = {}

    def get(case):
        if case not in done:
            done[case] = results(case, tmp_path_factory.mktemp(case.replace(":", "")))
        return done[case]
    return get


def relative_error(actual, expected) -> float:
    """``||actual - expected|| / ||expected||`` (0 when both are zero)."""
    scale = numpy.linalg.norm(expected)
    diff = numpy.linalg.norm(numpy.asarray(actual, numpy.float64) - expected)
    return diff / scale if scale else diff


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_two_ranks_with_half_batches_train_exactly_like_one_process(kind, job_results):
    """2 ranks, per-rank batch B/2, 2 epochs of SGD with momentum == 1 process with batch B (float64).

    The models are the MLP and the reference CNN without Dropout (a random
    mask per rank cannot match the single process's mask) and with its
    BatchNorm layers in eval mode: in training mode each rank would normalize
    with the statistics of its own B/2 samples (per-rank batch norm, as
    PyTorch's DDP), which is a different function from normalizing over B;
    in eval mode BN is a per-sample affine map and its weight and bias are
    still trained and reduced.  Rank 1 starts from another seed, so the
    equality also needs DDP's broadcast of rank 0's parameters.
    """
    ranks = job_results(f"train:{kind}")
    single = worker.make_model(kind, seed=100)
    initial = worker.state(single)
    worker.train(single, DataLoader(worker.make_data(kind), batch_size=worker.GLOBAL_BATCH,
                                    shuffle=True, seed=worker.SEED))
    expected = worker.state(single)
    for rank, got in enumerate(ranks):
        for name, value in expected.items():
            err = relative_error(got[f"final/{name}"], value)
            assert err <= DATA_PARALLEL_RTOL, f"rank {rank} {name}: relative error {err:.2e}"
        moved = max(relative_error(got[f"final/{n}"], initial[n]) for n in expected)
        assert moved > 1e-3, "training did not change the parameters: nothing was compared"


def test_ddp_broadcasts_rank0_initial_parameters_and_buffers(job_results):
    rank0, rank1 = job_results("train:cnn")
    names = [k[len("before/"):] for k in rank0 if k.startswith("before/")]
    differed = [n for n in names if not numpy.array_equal(rank0[f"before/{n}"], rank1[f"before/{n}"])]
    assert differed, "the ranks started alike: the test would not see a missing broadcast"
    for n in names:
        numpy.testing.assert_array_equal(rank1[f"wrapped/{n}"], rank0[f"before/{n}"], err_msg=n)
        numpy.testing.assert_array_equal(rank0[f"wrapped/{n}"], rank0[f"before/{n}"], err_msg=n)


def test_all_reduce_and_broadcast_for_every_dtype(job_results):
    assert_collectives(job_results("collectives"))


def test_a_rank_that_raises_ends_the_job_with_its_error(tmp_path):
    job = run("raise", tmp_path)  # fails the test itself after the timeout if the job hangs
    assert job.returncode != 0
    assert "[rank 1] ValueError: deliberate failure on rank 1" in job.stdout, job.stdout
