"""``xpnet bench``: time the hot ops and a training step, side by side with PyTorch.

For each case (see :mod:`.bench_cases`) xpnet and, when importable, PyTorch
run in this one process, interleaved (x, t, x, t, ...) after ``--warmup``
untimed runs, so machine noise hits both alike; the table shows medians,
GFLOP/s or GB/s and the ratio xpnet time / PyTorch time (below 1 means xpnet
is faster), the median of the ratios of back-to-back pairs.

* CPU backends (``numpy``): wall-clock time, next to PyTorch on the CPU.
* ``cupy``: the kernels are compiled first (not timed), each call is timed
  with CUDA events recorded on the stream around it (:func:`event_timer`),
  and the table adds the fraction of the device's peak FLOP/s (FP32 or
  FP64 by the case's dtype) or memory bandwidth
  (:mod:`xpnet.backend.cuda.peaks`).  When PyTorch has CUDA it runs on the
  same GPU, with TF32 disabled so both do true FP32 arithmetic, timed with
  its own CUDA events: the ratio is to cuDNN.

``--kernels`` prints the static report of our CUDA kernels instead (NVRTC
registers, shared memory, occupancy and roofline floors; no GPU needed).

The pure parts (device choice, torch configuration, timers, the
measurement loop, the table) are functions of their inputs, tested with
fake devices and clocks in ``tests/cli/test_bench.py``; only :func:`run`
touches CuPy and PyTorch.
"""
from __future__ import annotations

import os
import statistics
import time
from typing import Callable, List, Optional, Tuple

from ..backend.cuda.peaks import DevicePeaks, device_peaks, fraction_of_peak
from ._parser import add_command

Timer = Callable[[Callable[[], None]], float]


EXAMPLES = """examples:
  xpnet bench                                   # every case on $XPNET_BACKEND (numpy), next to PyTorch
  xpnet bench --filter "train step" --repeat 21 # only the reference CNN's training step
  xpnet bench --backend cupy                    # on your GPU: CUDA events, % of peak, vs cuDNN
  xpnet bench --kernels --arch sm_80            # registers, spills, occupancy (no GPU needed)
"""


def add_parser(sub) -> None:
    p = add_command(sub, "bench", __doc__, EXAMPLES,
                    help="time hot ops and a training step (vs PyTorch if installed)")
    p.add_argument("--backend", default=None, help="default: $XPNET_BACKEND or numpy")
    p.add_argument("--repeat", type=int, default=15, help="timed runs per case (median reported)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs per case first")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--filter", default="", help="only cases whose name contains this text")
    p.add_argument("--no-torch", action="store_true", help="do not run PyTorch")
    p.add_argument("--kernels", action="store_true",
                   help="print registers, shared memory, occupancy and roofline floors of the "
                        "CUDA kernels (NVRTC, no GPU needed)")
    p.add_argument("--arch", action="append", default=None,
                   help="with --kernels: only this sm_XX (repeatable; default: all)")
    p.set_defaults(run=run)


# --------------------------------------------------------------------------
# pure parts
# --------------------------------------------------------------------------
def choose_torch_device(backend: str, torch) -> Tuple[Optional[str], str]:
    """(device PyTorch runs on or None, a note for the header).

    Our GPU backend is compared with PyTorch on the GPU only (a CPU figure
    next to a GPU one says nothing); CPU backends with PyTorch on the CPU;
    the GPU simulator with nothing.
    """
    if backend == "cudasim":
        return None, "no PyTorch comparison for the simulator"
    if torch is None:
        return None, "PyTorch not installed"
    if backend == "cupy":
        if torch.cuda.is_available():
            return "cuda", f"PyTorch {torch.__version__} on cuda (cuDNN, TF32 off)"
        return None, f"PyTorch {torch.__version__} has no CUDA: no GPU comparison"
    return "cpu", f"PyTorch {torch.__version__} on the CPU"


def configure_torch(torch, device: str) -> None:
    """On CUDA: TF32 off (true FP32 like our kernels), cuDNN may pick its fastest algorithm."""
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True


def wall_timer(fn: Callable[[], None]) -> float:
    """Seconds of one call on the host clock (the thunk synchronizes itself)."""
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def event_timer(make_event: Callable, elapsed_ms: Callable, synchronize: Callable) -> Timer:
    """A timer of one call between two GPU events on the current stream.

    The device is synchronized first (earlier work is not counted), the start
    event recorded, the thunk enqueues its kernels (it must not synchronize),
    the stop event is recorded and waited for: the figure is the GPU time from
    the first to the last kernel of the call, including launch gaps.
    """
    def timer(fn: Callable[[], None]) -> float:
        synchronize()
        start, stop = make_event(), make_event()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        return elapsed_ms(start, stop) / 1e3
    return timer


def measure(cases, make_ours: Callable, make_theirs: Optional[Callable], time_ours: Timer,
            time_theirs: Timer, repeat: int = 15, warmup: int = 3) -> List[dict]:
    """Median seconds per case, ours and theirs interleaved after ``warmup`` untimed runs.

    ``make_ours(case)`` / ``make_theirs(case)`` return the thunks (``make_theirs``
    None, or returning None, means no comparison).  Returns
    ``[dict(case=..., xpnet=seconds, torch=seconds or None, ratio=float or None), ...]``
    where ``ratio`` is the median over the runs of ours/theirs *within each pair*:
    a pair runs back to back, so a slow spell of a noisy machine hits both sides
    of it and cancels in the ratio, which the ratio of the two medians does not.
    """
    rows = []
    for case in cases:
        ours = make_ours(case)
        theirs = make_theirs(case) if make_theirs is not None else None
        for _ in range(warmup):
            ours()
            if theirs:
                theirs()
        t_ours, t_theirs = [], []
        for _ in range(repeat):
            t_ours.append(time_ours(ours))
            if theirs:
                t_theirs.append(time_theirs(theirs))
        rows.append(dict(case=case, xpnet=statistics.median(t_ours),
                         torch=statistics.median(t_theirs) if t_theirs else None,
                         ratio=statistics.median(a / b for a, b in zip(t_ours, t_theirs))
                         if t_theirs else None))
    return rows


def rate(case, seconds: Optional[float]) -> str:
    """``"123.4 GFLOP/s"`` (cases with FLOPs) or ``"56.7 GB/s"`` (memory-bound cases)."""
    if not seconds:
        return "-"
    if case.flops:
        return f"{case.flops / seconds / 1e9:.1f} GFLOP/s"
    return f"{case.bytes / seconds / 1e9:.1f} GB/s"


def format_table(rows: List[dict], backend: str, peaks: Optional[DevicePeaks] = None,
                 torch_label: str = "torch") -> str:
    """The result table; a "% peak" column when the device's peaks are known."""
    from ..backend.cuda.report import format_table as table
    out = []
    for r in rows:
        case, ours, theirs = r["case"], r["xpnet"], r["torch"]
        row = {"case": case.name, "dtype": case.dtype, "ours": f"{ours * 1e3:.3f}",
               "rate": rate(case, ours)}
        if peaks is not None:
            frac = fraction_of_peak(case.flops, case.bytes, ours, case.dtype, peaks)
            row["peak"] = "-" if frac is None else f"{100 * frac:.1f}%"
        row.update(theirs="-" if theirs is None else f"{theirs * 1e3:.3f}",
                   trate=rate(case, theirs),
                   ratio="-" if theirs is None else f"{r.get('ratio') or ours / theirs:.2f}")
        out.append(row)
    headers = {"ours": f"xpnet[{backend}] ms", "rate": "rate", "peak": "% peak",
               "theirs": f"{torch_label} ms", "trate": f"{torch_label} rate",
               "ratio": f"xpnet/{torch_label}"}
    return table(out, headers=headers)


def describe_device(peaks: DevicePeaks) -> str:
    """One line naming the GPU and the peaks the "% peak" column divides by."""
    def tera(v, unit):
        return "?" if v is None else f"{v / 1e12:.2f} {unit}"
    clock = "" if peaks.clock_ghz is None else f" at {peaks.clock_ghz:.2f} GHz"
    return (f"GPU {peaks.name}, {peaks.sms} SMs{clock}; peak FP32 {tera(peaks.fp32, 'TFLOP/s')}, "
            f"FP64 {tera(peaks.fp64, 'TFLOP/s')}, memory {tera(peaks.bandwidth, 'TB/s')} "
            f"({peaks.source})")


# --------------------------------------------------------------------------
# the GPU glue
# --------------------------------------------------------------------------
def cupy_device_properties(cupy) -> dict:
    """``getDeviceProperties`` of the current device, with the clock, SM count and memory
    figures read as device attributes where the properties lack them (newer CUDA)."""
    rt = cupy.cuda.runtime
    dev = cupy.cuda.Device().id
    props = dict(rt.getDeviceProperties(dev))
    for key, attr in (("clockRate", "cudaDevAttrClockRate"),
                      ("memoryClockRate", "cudaDevAttrMemoryClockRate"),
                      ("memoryBusWidth", "cudaDevAttrGlobalMemoryBusWidth"),
                      ("multiProcessorCount", "cudaDevAttrMultiProcessorCount")):
        if not props.get(key) and hasattr(rt, attr):
            try:
                props[key] = rt.deviceGetAttribute(getattr(rt, attr), dev)
            except Exception:   # an attribute this driver does not report: estimate without it
                pass
    return props


def cupy_timer(cupy) -> Timer:
    return event_timer(cupy.cuda.Event, cupy.cuda.get_elapsed_time,
                       lambda: cupy.cuda.Device().synchronize())


def torch_cuda_timer(torch) -> Timer:
    return event_timer(lambda: torch.cuda.Event(enable_timing=True),
                       lambda a, b: a.elapsed_time(b), torch.cuda.synchronize)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _print_kernel_report(archs) -> None:
    from ..backend.cuda import nvrtc, report
    archs = tuple(archs or nvrtc.ARCHS)
    bad = [a for a in archs if a not in nvrtc.ARCHS]
    if bad:
        raise ValueError(f"--arch must be among {', '.join(nvrtc.ARCHS)}; got {', '.join(bad)}")
    print(report.format_report(archs=archs, dtypes=("float32", "float64")))


def run(args) -> int:
    if args.kernels:
        _print_kernel_report(args.arch)
        return 0
    if args.repeat < 1 or args.warmup < 0:
        raise ValueError(f"--repeat must be >= 1 and --warmup >= 0; got {args.repeat}, {args.warmup}")
    from ..backend import get_backend
    from .bench_cases import all_cases
    backend = get_backend(args.backend)
    cases = [c for c in all_cases(args.dtype) if args.filter in c.name]
    if not cases:
        raise ValueError(f"--filter {args.filter!r} matches no case; cases are: "
                         + "; ".join(c.name for c in all_cases(args.dtype)))
    torch = None if args.no_torch else _torch()
    device, torch_note = choose_torch_device(backend.name, torch)
    if args.no_torch:
        torch_note = "no PyTorch comparison (--no-torch)"
    if device is not None:
        configure_torch(torch, device)
    gpu = backend.name == "cupy"
    print(f"xpnet bench: backend {backend.name}, {args.dtype}, {os.cpu_count()} CPU cores, "
          f"repeat {args.repeat} (medians), warm-up {args.warmup}; {torch_note}")
    if backend.name == "cudasim":
        print("note: cudasim runs every CUDA thread on the CPU: correct, very slow, and says "
              "nothing about GPU speed (use --filter)")
    peaks = None
    time_ours: Timer = wall_timer
    if gpu:
        import cupy
        peaks = device_peaks(cupy_device_properties(cupy))
        print(describe_device(peaks))
        t0 = time.perf_counter()
        backend.precompile()
        print(f"kernels compiled or loaded from cache in {time.perf_counter() - t0:.1f} s "
              "(not timed); timing with CUDA events")
        time_ours = cupy_timer(cupy)
    time_theirs = torch_cuda_timer(torch) if device == "cuda" else wall_timer
    make_theirs = None if device is None else (
        lambda c: c.make_torch(device, sync=device != "cuda") if c.make_torch else None)
    rows = measure(cases, lambda c: c.make_xpnet(backend.name, sync=not gpu), make_theirs,
                   time_ours, time_theirs, args.repeat, args.warmup)
    label = {"cuda": "cuDNN", "cpu": "torch"}.get(device, "torch")
    print(format_table(rows, backend.name, peaks, label))
    return 0
