"""What each rank runs in the MPI tests: ``mpiexec -n R python mpi_worker.py CASE OUT_DIR``.

Every case writes its rank's results to ``OUT_DIR/CASE-RANK.npz``; the tests
(``test_mpi.py``) compare them with what one process computes.  Shared with
the single-process side: :func:`make_model`, :func:`make_data`, :func:`train`.
"""
import os
import sys

import numpy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:  # xpnet is run from the source tree, not installed
    sys.path.insert(0, ROOT)

import xpnet  # noqa: E402
from xpnet import distributed as dist, nn, optim  # noqa: E402
from xpnet.data import DataLoader, TensorDataset  # noqa: E402
from xpnet.train.models import reference_cnn  # noqa: E402

DTYPES = ("float32", "float64", "int32", "int64")
GLOBAL_BATCH = 8
STEPS_DATA = dict(mlp=dict(n=24, shape=(20,)), cnn=dict(n=16, shape=(1, 28, 28)))
EPOCHS = 2
SEED = 7


def make_model(kind: str, seed: int) -> nn.Module:
    """The float64 model of the equality proof, initialized from ``seed``.

    ``cnn`` is the reference CNN with its Dropout removed and its BatchNorm
    layers in eval mode (see ``test_mpi.py`` for why).
    """
    xpnet.manual_seed(seed)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(20, 32), nn.Tanh(), nn.Linear(32, 16), nn.ReLU(),
                              nn.Linear(16, 10))
    else:
        model = nn.Sequential(*[m for m in reference_cnn() if not isinstance(m, nn.Dropout)])
    model = model.double()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    return model


def make_data(kind: str) -> TensorDataset:
    rng = numpy.random.default_rng(123)
    spec = STEPS_DATA[kind]
    return TensorDataset(rng.standard_normal((spec["n"], *spec["shape"])),
                         rng.integers(0, 10, spec["n"]))


def train(model: nn.Module, loader: DataLoader) -> None:
    """``EPOCHS`` epochs of SGD with momentum: the plain loop, nothing distributed in it.

    The model stays in the modes :func:`make_model` set (training, BatchNorm in eval).
    """
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(EPOCHS):
        for x, y in loader:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()


def state(model: nn.Module) -> dict:
    return {k: v.numpy() for k, v in model.state_dict().items()}


def case_train(kind: str) -> dict:
    """Rank r starts from its own seed; DDP makes it rank 0's model, then trains on its shards."""
    rank, world = dist.setup()
    net = make_model(kind, seed=100 + rank)
    before = state(net)
    model = dist.DistributedDataParallel(net, bucket_cap_mb=0.05)  # a few buckets, not one
    after_wrap = state(net)
    loader = DataLoader(make_data(kind), batch_size=GLOBAL_BATCH // world, shuffle=True,
                        seed=SEED, num_replicas=world, rank=rank)
    train(model, loader)
    out = {f"final/{k}": v for k, v in state(net).items()}
    out.update({f"before/{k}": v for k, v in before.items()})
    out.update({f"wrapped/{k}": v for k, v in after_wrap.items()})
    return out


def case_collectives() -> dict:
    """all_reduce (sum, mean) and broadcast from the last rank, for every dtype used."""
    rank, world = dist.setup()
    out = {}
    for name in DTYPES:
        base = numpy.arange(5).astype(name) + 10 * rank
        out[f"sum/{name}"] = dist.all_reduce(xpnet.tensor(base), op="sum").numpy()
        if name.startswith("float"):
            out[f"mean/{name}"] = dist.all_reduce(xpnet.tensor(base), op="mean").numpy()
        out[f"bcast/{name}"] = dist.broadcast(xpnet.tensor(base), src=world - 1).numpy()
    dist.barrier()
    return out


def case_raise() -> dict:
    """The last rank raises while the others wait in a collective: the job must abort."""
    rank, world = dist.setup()
    if rank == world - 1:
        raise ValueError(f"deliberate failure on rank {rank}")
    dist.all_reduce(xpnet.tensor([1.0]))  # would wait forever for the failed rank
    return {}


def case_cli_raise(how: str) -> dict:
    """``xpnet train --distributed`` whose last rank alone goes wrong at its third step: ``error``
    raises a RuntimeError there, ``nan`` makes its logits NaN (the NaN guard's error); both are
    errors the CLI turns into one line (and exit status 2) instead of a traceback."""
    from xpnet.cli import main
    rank, world = dist.setup()
    if rank == world - 1:
        forward, calls = nn.CrossEntropyLoss.forward, []

        def failing(self, logits, target):
            calls.append(1)
            if len(calls) == 3 and how == "error":
                raise RuntimeError(f"deliberate failure in training on rank {rank}")
            return forward(self, logits * float("nan") if len(calls) == 3 else logits, target)
        nn.CrossEntropyLoss.forward = failing
    sys.exit(main(["train", "--distributed", "--model", "mlp", "--epochs", "1", "--no-progress"]))

if __name__ == "__main__":
    case, out_dir = sys.argv[1], sys.argv[2]
    name, _, arg = case.partition(":")
    result = globals()[f"case_{name}"](*([arg] if arg else []))
    numpy.savez(os.path.join(out_dir, f"{name}{arg}-{dist.rank()}.npz"), **result)
