"""Data-parallel throughput: samples/s of the reference CNN on 1 and 2 (or more) MPI ranks.

    python benchmarks/distributed_throughput.py --ranks 1 2 --steps 20

launches ``mpiexec -n R`` once per ``R`` with this file as the worker and
prints, per ``R``, the training throughput (samples per second over the
timed steps, after ``--warmup`` steps) and the scaling efficiency
``samples/s(R) / (R * samples/s(1))``.  The global batch (``--batch``, default
64) is split across the ranks, as ``xpnet train --distributed`` does (strong
scaling), float32, NumPy backend, synthetic 1x28x28 inputs.  Every rank runs
with one BLAS thread, so R ranks use R cores and the efficiency compares like
with like.  Numbers from a shared or busy machine say little: note the load.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def worker(batch: int, steps: int, warmup: int) -> None:
    """One rank: time ``steps`` DDP training steps of the reference CNN on its batch share."""
    sys.path.insert(0, ROOT)
    import xpnet
    from xpnet import distributed as dist, nn, optim
    from xpnet.train.models import reference_cnn

    rank, world = dist.setup()
    if batch % world:
        raise ValueError(f"--batch {batch} must be divisible by the number of ranks {world}")
    xpnet.manual_seed(0)
    model = dist.DistributedDataParallel(reference_cnn())
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = numpy.random.default_rng(rank)
    x = xpnet.tensor(rng.standard_normal((batch // world, 1, 28, 28)).astype(numpy.float32))
    y = xpnet.tensor(rng.integers(0, 10, batch // world))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    dist.barrier()
    seconds = time.perf_counter() - start
    if dist.is_main():
        print(json.dumps({"ranks": world, "global_batch": batch, "steps": steps,
                          "seconds": seconds, "samples_per_s": steps * batch / seconds}))


def find_mpiexec():
    """The ``mpiexec`` of this Python's environment (the ``mpich`` wheel's), else the one on PATH."""
    return (shutil.which("mpiexec", path=os.path.dirname(sys.executable))
            or shutil.which("mpiexec"))


def launch(ranks: int, batch: int, steps: int, warmup: int, mpiexec: str) -> dict:
    """Run the worker on ``ranks`` processes; its result line as a dict."""
    cmd = [mpiexec, "-n", str(ranks), sys.executable, os.path.abspath(__file__), "--worker",
           "--batch", str(batch), "--steps", str(steps), "--warmup", str(warmup)]
    env = dict(os.environ, XPNET_BACKEND="numpy", **ONE_THREAD)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}:\n{out.stdout}{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> list:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    p.add_argument("--batch", type=int, default=64, help="global batch, split across ranks")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.batch, args.steps, args.warmup)
    mpiexec = find_mpiexec()
    if mpiexec is None:
        raise SystemExit("no mpiexec: pip install 'xpnet[mpi]'")
    rows = [launch(r, args.batch, args.steps, args.warmup, mpiexec) for r in args.ranks]
    base = next((r["samples_per_s"] for r in rows if r["ranks"] == 1), None)
    print(f"reference CNN, float32, global batch {args.batch}, {args.steps} steps; "
          f"load average {os.getloadavg()[0]:.2f} (1 min)")
    for row in rows:
        row["efficiency"] = row["samples_per_s"] / (row["ranks"] * base) if base else None
        eff = f"{row['efficiency']:.2f}" if base else "n/a"
        print(f"  {row['ranks']} rank(s): {row['samples_per_s']:8.1f} samples/s   efficiency {eff}")
    return rows


if __name__ == "__main__":
    main()
