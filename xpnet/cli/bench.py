"""``xpnet bench``: time the hot ops and a training step, side by side with PyTorch CPU.

For each case (see :mod:`.bench_cases`) xpnet and, when importable, PyTorch
run in this one process, interleaved (x, t, x, t, ...) after warm-up, so
machine noise hits both alike; the table shows medians, GFLOP/s or GB/s and
the ratio xpnet time / PyTorch time (below 1 means xpnet is faster).
``--kernels`` prints the static report of our CUDA kernels instead.
"""
from __future__ import annotations

import statistics
import time
from typing import List, Optional


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="time hot ops and a training step (vs PyTorch if installed)",
                       description=__doc__.splitlines()[0])
    p.add_argument("--backend", default=None, help="default: $XPNET_BACKEND or numpy")
    p.add_argument("--repeat", type=int, default=15, help="timed runs per case (median reported)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--filter", default="", help="only cases whose name contains this text")
    p.add_argument("--no-torch", action="store_true", help="do not run PyTorch")
    p.add_argument("--kernels", action="store_true",
                   help="print registers, shared memory, occupancy and roofline floors of the "
                        "CUDA kernels (NVRTC, no GPU needed)")
    p.set_defaults(run=run)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _timer(backend_name: str):
    """A function timing one call of a thunk in seconds (CUDA events on the GPU)."""
    if backend_name == "cupy":
        import cupy

        def time_gpu(fn):
            start, stop = cupy.cuda.Event(), cupy.cuda.Event()
            start.record()
            fn()
            stop.record()
            stop.synchronize()
            return cupy.cuda.get_elapsed_time(start, stop) / 1e3
        return time_gpu

    def time_cpu(fn):
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    return time_cpu


def measure(cases, backend: str, repeat: int = 15, warmup: int = 3, with_torch: bool = True):
    """Median seconds per case for xpnet (and PyTorch), interleaved; returns a list of dicts."""
    torch = _torch() if with_torch else None
    timer = _timer(backend)
    rows = []
    for case in cases:
        ours = case.make_xpnet(backend)
        theirs = case.make_torch() if (torch is not None and case.make_torch) else None
        for _ in range(warmup):
            ours()
            if theirs:
                theirs()
        t_ours, t_theirs = [], []
        for _ in range(repeat):
            t_ours.append(timer(ours))
            if theirs:
                t0 = time.perf_counter()
                theirs()
                t_theirs.append(time.perf_counter() - t0)
        rows.append(dict(case=case, xpnet=statistics.median(t_ours),
                         torch=statistics.median(t_theirs) if t_theirs else None))
    return rows


def _rate(case, seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    if case.flops:
        return f"{case.flops / seconds / 1e9:8.1f} GFLOP/s"
    return f"{case.bytes / seconds / 1e9:8.1f} GB/s"


def format_table(rows: List[dict], backend: str) -> str:
    lines = [f"{'case':44s} {'xpnet[' + backend + '] ms':>16s} {'rate':>16s} "
             f"{'torch ms':>10s} {'rate':>16s} {'xpnet/torch':>12s}"]
    for r in rows:
        case, ours, theirs = r["case"], r["xpnet"], r["torch"]
        ratio = f"{ours / theirs:12.2f}" if theirs else f"{'-':>12s}"
        lines.append(f"{case.name:44s} {ours * 1e3:16.2f} {_rate(case, ours):>16s} "
                     f"{(theirs or 0) * 1e3 if theirs else float('nan'):10.2f} "
                     f"{_rate(case, theirs):>16s} {ratio}")
    return "\n".join(lines)


def run(args) -> int:
    if args.kernels:
        from ..backend.cuda import report
        print(report.format_report(report.kernel_report()))
        return 0
    from ..backend import get_backend
    from .bench_cases import all_cases
    backend = get_backend(args.backend).name
    if args.repeat < 1 or args.warmup < 0:
        raise ValueError(f"--repeat must be >= 1 and --warmup >= 0; got {args.repeat}, {args.warmup}")
    cases = [c for c in all_cases() if args.filter in c.name]
    torch = None if args.no_torch else _torch()
    import os
    print(f"xpnet bench: backend {backend}, {os.cpu_count()} CPU cores, repeat {args.repeat}, "
          f"PyTorch {'CPU ' + torch.__version__ if torch else 'not installed'}; medians")
    rows = measure(cases, backend, args.repeat, args.warmup, with_torch=torch is not None)
    print(format_table(rows, backend))
    return 0
