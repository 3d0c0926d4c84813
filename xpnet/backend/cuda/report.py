"""The ``bench --kernels`` report: what our kernels cost on real GPUs, computed offline.

Two tables, for the reference CNN's hot ops at batch 64 (:data:`REFERENCE_OPS`):

* **kernels** (:func:`kernel_rows`): every kernel launch the op makes, with its
  grid and block as the wrapper computes them, and per arch the ptxas figures
  from NVRTC (registers/thread, spills, static + dynamic shared memory/block)
  and the theoretical occupancy (:mod:`.occupancy`).  The launches are found
  by running the real wrappers with a :class:`RecordingLauncher`, which
  records instead of executing, so the table cannot drift from the code.
* **roofline** (:func:`roofline_rows`): the op's work and the time it would
  take at the GPU's peak, ``max(flops / peak_flops, bytes / peak_bandwidth)``
  (the floor no implementation can beat).  Convolution:
  ``flops = 2*N*K*P*Q*(C/groups)*R*S`` for each of forward, backward-data and
  backward-filter, bytes = the op's inputs + output read/written once.  Batch
  norm: memory bound, ``3`` element accesses per value forward-train (read x
  for the statistics, read x and write y) and ``5`` backward (read dy, x twice,
  write dx): 12 and 20 bytes/element in float32, double in float64.

Peaks: the ``A100 80GB SXM`` and ``H100 SXM`` rows of
:data:`xpnet.backend.cuda.peaks.KNOWN_GPUS` (FP32 and bandwidth from the
NVIDIA's published figures, FP64 from NVIDIA's data sheets).

>>> print(format_report())                                   # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Optional, Sequence

import numpy

from . import batchnorm, conv2d, nvrtc
from .launch import Launcher, kernel_spec
from .occupancy import occupancy
from .peaks import known_gpu_peaks

#: name -> (FP32 FLOP/s, FP64 FLOP/s, bytes/s)
GPUS: Dict[str, tuple] = {"A100": known_gpu_peaks("A100 80GB SXM"),
                          "H100": known_gpu_peaks("H100 SXM")}
DEFAULT_ARCHS = ("sm_80", "sm_90")   # A100, H100


class RecordingLauncher(Launcher):
    """A launcher on NumPy arrays that records each launch instead of running it."""

    xp = numpy

    def __init__(self):
        self.launches: List[dict] = []

    def compile(self, source, dtype):
        pass

    def _launch(self, spec, dtype, grid, block, shared_mem, args):
        self.launches.append(dict(kernel=spec.name, source=spec.source, dtype=dtype.name,
                                  grid=tuple(grid), block=tuple(block), shared_dynamic=shared_mem))


@dataclasses.dataclass(frozen=True)
class RefOp:
    """One hot op of the reference CNN."""
    name: str                                   # e.g. "conv2 fwd"
    shape: str                                  # human-readable shapes
    run: Callable                               # run(launcher, dtype) with the real wrapper
    flops: int
    elements_moved: int                         # array elements read + written (minimum)


def _conv_ops(name, x_shape, w_shape, padding) -> List[RefOp]:
    conf = ((1, 1), padding, (1, 1), 1)
    g = conv2d.geometry(x_shape, w_shape, *conf)
    y_shape = (g.N, g.K, g.P, g.Q)
    n = {s: int(numpy.prod(s)) for s in (x_shape, w_shape, y_shape)}
    z = lambda s, dt: numpy.zeros(s, dt)        # noqa: E731
    shape = f"x {'x'.join(map(str, x_shape))}, w {'x'.join(map(str, w_shape))}, pad {padding[0]}"
    return [
        RefOp(f"{name} fwd", shape, lambda L, dt: conv2d.forward(
            L, z(x_shape, dt), z(w_shape, dt), z(w_shape[:1], dt), *conf),
            g.flops, n[x_shape] + n[w_shape] + n[y_shape] + g.K),
        RefOp(f"{name} bwd data", shape, lambda L, dt: conv2d.backward_data(
            L, z(y_shape, dt), z(w_shape, dt), x_shape, *conf),
            g.flops, n[y_shape] + n[w_shape] + n[x_shape]),
        RefOp(f"{name} bwd filter", shape, lambda L, dt: conv2d.backward_filter(
            L, z(y_shape, dt), z(x_shape, dt), w_shape, *conf),
            g.flops, n[y_shape] + n[x_shape] + n[w_shape]),
    ]


def _bn_ops(name, x_shape) -> List[RefOp]:
    C, m = x_shape[1], int(numpy.prod(x_shape))
    z = lambda s, dt: numpy.zeros(s, dt)        # noqa: E731
    o = lambda s, dt: numpy.ones(s, dt)         # noqa: E731
    shape = "x " + "x".join(map(str, x_shape))
    return [
        RefOp(f"{name} fwd train", shape, lambda L, dt: batchnorm.forward_train(
            L, z(x_shape, dt), o(C, dt), z(C, dt), z(C, dt), o(C, dt), 0.1, 1e-5), 0, 3 * m),
        RefOp(f"{name} bwd", shape, lambda L, dt: batchnorm.backward(
            L, z(x_shape, dt), z(x_shape, dt), o(C, dt), z(C, dt), o(C, dt)), 0, 5 * m),
    ]


#: the reference CNN (batch 64): Conv(1->32) BN(32) ... Conv(32->64) BN(64)
REFERENCE_OPS: List[RefOp] = (
    _conv_ops("conv1", (64, 1, 28, 28), (32, 1, 3, 3), (1, 1))
    + _bn_ops("bn1", (64, 32, 28, 28))
    + _conv_ops("conv2", (64, 32, 14, 14), (64, 32, 3, 3), (1, 1))
    + _bn_ops("bn2", (64, 64, 14, 14)))


def roofline_rows(dtypes: Sequence[str] = ("float32",)) -> List[dict]:
    """Per reference op and dtype: GFLOP, MB moved, and the floor time (µs) on each GPU."""
    rows = []
    for op in REFERENCE_OPS:
        for dt in dtypes:
            itemsize = numpy.dtype(dt).itemsize
            nbytes = op.elements_moved * itemsize
            row = dict(op=op.name, shape=op.shape, dtype=dt, gflop=op.flops / 1e9,
                       mbytes=nbytes / 1e6)
            for gpu, (fp32, fp64, bw) in GPUS.items():
                peak = fp32 if dt == "float32" else fp64
                row[f"{gpu}_us"] = max(op.flops / peak, nbytes / bw) * 1e6
                row[f"{gpu}_bound"] = "compute" if op.flops / peak > nbytes / bw else "memory"
            rows.append(row)
    return rows


def kernel_rows(archs: Sequence[str] = DEFAULT_ARCHS, dtypes: Sequence[str] = ("float32",)
                ) -> List[dict]:
    """Per reference op, launch, dtype and arch: grid, block, registers, spills, shared
    memory and occupancy.  Register figures are None if NVRTC cannot be loaded."""
    have_nvrtc = nvrtc.unavailable_reason() is None
    rows = []
    for op in REFERENCE_OPS:
        for dt in dtypes:
            rec = RecordingLauncher()
            op.run(rec, numpy.dtype(dt))
            for launch in rec.launches:
                expr = kernel_spec(launch["kernel"]).name_expression(dt)
                threads = int(numpy.prod(launch["block"]))
                for arch in archs:
                    row = dict(op=op.name, kernel=expr, dtype=dt, arch=arch, grid=launch["grid"],
                               threads=threads, registers=None, spills=None,
                               smem=launch["shared_dynamic"], occupancy=None, limiter=None)
                    if have_nvrtc:
                        res = nvrtc.compile_file(launch["source"], arch).kernels[expr]
                        occ = occupancy(arch, threads, res.registers, res.shared_static,
                                        launch["shared_dynamic"])
                        row.update(registers=res.registers,
                                   spills=res.spill_stores + res.spill_loads,
                                   smem=res.shared_static + launch["shared_dynamic"],
                                   occupancy=occ.fraction, limiter=occ.limiter)
                    rows.append(row)
    return rows


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    if isinstance(v, tuple):
        return "x".join(map(str, v))
    return str(v)


def format_table(rows: List[dict], columns: Optional[Sequence[str]] = None,
                 headers: Optional[Dict[str, str]] = None) -> str:
    """Rows of dicts as a plain-text table (columns default to the first row's keys)."""
    if not rows:
        return "(no rows)"
    columns = list(columns or rows[0])
    headers = headers or {}
    cells = [[headers.get(c, c) for c in columns]] + [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(s.ljust(w) for s, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_report(archs: Sequence[str] = DEFAULT_ARCHS, dtypes: Sequence[str] = ("float32",)) -> str:
    """Both tables, as printed by ``python -m xpnet bench --kernels``."""
    krows = kernel_rows(archs, dtypes)
    for r in krows:
        r["occupancy"] = None if r["occupancy"] is None else f"{100 * r['occupancy']:.0f}%"
    kernels = format_table(krows, ["op", "kernel", "dtype", "arch", "grid", "threads", "registers",
                                   "spills", "smem", "occupancy", "limiter"],
                           {"threads": "block", "smem": "smem B"})
    roof = format_table(roofline_rows(dtypes), ["op", "dtype", "shape", "gflop", "mbytes",
                                                "A100_us", "A100_bound", "H100_us", "H100_bound"],
                        {"gflop": "GFLOP", "mbytes": "MB", "A100_us": "A100 floor us",
                         "H100_us": "H100 floor us", "A100_bound": "A100", "H100_bound": "H100"})
    reason = nvrtc.unavailable_reason()
    note = "" if reason is None else f"\n(registers/occupancy unavailable: {reason})"
    return (f"Kernel resources (NVRTC ptxas -v; occupancy per cuda_occupancy.h rules){note}\n"
            f"{kernels}\n\nRoofline floor: max(flops / peak, bytes / bandwidth)\n{roof}")
