"""``xpnet selftest``: parity of a backend's hot ops against the NumPy backend, on this machine.

Meant for users with a GPU (``xpnet selftest --backend cupy``: our CUDA
kernels on their device, well under a minute including the first compile)
and usable here with ``--backend cudasim`` (the same kernels on the CPU
simulator).  Every hot op, forward and backward, float32 and float64, runs
on a matrix of shapes chosen against the kernels' tiling (see
``CONV_CASES`` / ``BN_CASES``), is compared with the NumPy backend on the
same inputs, and is run twice to check that results are bit-identical run to
run (the kernels use no atomics).  Prints one row per check and a summary
per op; exits 1 if any check fails or raises.

Tolerance (max |ours - numpy| / max |numpy| per output): float64 1e-10 (the
project's bound); float32 1e-4: both sides round each product and partial
sum to float32 (u = 6e-8) in different orders.  For the conv reductions
(n <= 4608 terms here) that is a random-walk error of about u * sqrt(n)
relative to the output's scale (< 5e-6); batch norm sums up to 5e5 values
per channel in blocks and trees on both sides, error ~u * log2(m) per
level (measured 4e-6 on cudasim).  1e-4 leaves a margin of 20 while a
wrong index or a missing term is off by far more than 1e-3.
"""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Callable, Iterator, List, Sequence, Tuple

import numpy

from ._parser import add_command

RTOL = {numpy.dtype("float64"): 1e-10, numpy.dtype("float32"): 1e-4}

# Tiles of kernels/conv2d.cu: 64 rows (output pixels fwd, input pixels bwd_data,
# (c,r,s) bwd_filter) x 64 columns (channels of a group) per block, reduction steps
# of 8 (16 in bwd_filter), which splits its pixel reduction over blocks when the
# filter has few tiles.  Cases hit partial tiles in every dimension.
CONV_CASES = [  # x shape, w shape, stride, padding, dilation, groups       what it covers
    ((2, 3, 9, 7), (5, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),   # 126 pixels: 2 row tiles, partial; Kdim 27
    ((1, 4, 8, 8), (6, 2, 3, 2), (2, 1), (0, 1), (1, 2), 2),   # batch 1, stride, dilation, groups
    ((3, 5, 1, 1), (7, 5, 1, 1), (1, 1), (0, 0), (1, 1), 1),   # 1x1 image, 1x1 kernel
    ((2, 6, 17, 13), (6, 1, 3, 3), (2, 2), (1, 1), (1, 1), 6),  # depthwise, stride 2
    ((2, 70, 6, 5), (66, 70, 1, 1), (1, 1), (0, 0), (1, 1), 1),  # 66 / 70 channels: 2 column tiles
    ((2, 8, 16, 16), (144, 4, 3, 3), (1, 1), (1, 1), (1, 1), 2),  # 72 out channels per group
    ((1, 2, 10, 7), (3, 2, 1, 2), (3, 2), (0, 0), (1, 3), 1),  # input pixels with no gradient
    ((2, 2, 2, 3), (3, 2, 3, 3), (1, 1), (1, 1), (1, 1), 1),   # kernel larger than the image
    ((2, 32, 14, 14), (64, 32, 3, 3), (1, 1), (1, 1), (1, 1), 1),  # reference conv2; 2 filter splits
    ((8, 3, 24, 24), (16, 3, 5, 5), (1, 1), (2, 2), (1, 1), 1),  # 18 filter splits, 72 row tiles
]
# kernels/batchnorm.cu reduces each channel in chunks of 2048 values (256 threads x 8)
# per block, then one block of up to 256 threads merges a channel's chunks.
BN_CASES = [
    (2, 3, 5, 5),        # m = 50 < 256 threads: most threads empty
    (1, 4, 1, 3),        # batch 1, m = 3
    (3, 5),              # (N, C) input
    (2, 3, 4, 5, 6),     # 3-D spatial
    (8, 16, 33, 17),     # m = 4488: 3 chunks, the last partial
    (64, 2, 9, 9),       # m = 5184: chunks start mid-sample
    (2, 1, 520, 512),    # m = 532480: 260 chunks, more than the merging block's 256 threads
]
Check = Tuple[str, numpy.dtype, str, Callable[[], list], list]


EXAMPLES = """examples:
  xpnet selftest                     # our CUDA kernels on your GPU (cupy) against NumPy
  xpnet selftest --backend cudasim   # the same kernels on the CPU simulator, no GPU needed
"""


def add_parser(sub) -> None:
    p = add_command(sub, "selftest", __doc__, EXAMPLES,
                    help="check a backend's hot ops against NumPy")
    p.add_argument("--backend", default="cupy", help="default: cupy")
    p.set_defaults(run=run)


def rel_err(ours, ref) -> float:
    """max |ours - ref| / max |ref| (inf for a shape mismatch or a non-finite value)."""
    a, b = numpy.asarray(ours, numpy.float64), numpy.asarray(ref, numpy.float64)
    if a.shape != b.shape:
        return float("inf")
    if not b.size:
        return 0.0
    err = float(numpy.abs(a - b).max() / max(float(numpy.abs(b).max()), 1e-30))
    return err if numpy.isfinite(err) else float("inf")


def _conv_checks(backend, ref, rng, dtype, case) -> Iterator[Check]:
    """The three conv ops on one case (a function per case: its closures keep their arrays)."""
    xs, ws, st, pad, dil, g = case
    x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype)
    y_ref = ref.conv2d_forward(x, w, b, st, pad, dil, g)
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    X, W, B, DY = (backend.asarray(a) for a in (x, w, b, dy))
    label = f"x{xs} w{ws} s{st} p{pad} d{dil} g{g}"
    conf = (st, pad, dil, g)
    yield ("conv2d_forward", dtype, label,
           lambda: [backend.conv2d_forward(X, W, B, *conf)], [y_ref])
    yield ("conv2d_backward_data", dtype, label,
           lambda: [backend.conv2d_backward_data(DY, W, xs, *conf)],
           [ref.conv2d_backward_data(dy, w, xs, *conf)])
    yield ("conv2d_backward_filter", dtype, label,
           lambda: [backend.conv2d_backward_filter(DY, X, ws, *conf)],
           [ref.conv2d_backward_filter(dy, x, ws, *conf)])


def _bn_checks(backend, ref, rng, dtype, shape) -> Iterator[Check]:
    """The three batch-norm ops on one input shape."""
    c = shape[1]
    x = (rng.standard_normal(shape) * 3 + 100).astype(dtype)   # |mean| >> std: stability
    w, b = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    rm, rv = rng.standard_normal(c).astype(dtype), (rng.random(c) + 0.5).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    X, W, B, DY = (backend.asarray(a) for a in (x, w, b, dy))
    rm_ref, rv_ref = rm.copy(), rv.copy()
    expect = ref.batch_norm_forward_train(x, w, b, rm_ref, rv_ref, 0.1, 1e-5)
    label = f"x{shape}"

    def forward_train():   # fresh running statistics each call: they are updated in place
        RM, RV = backend.asarray(rm), backend.asarray(rv)
        return list(backend.batch_norm_forward_train(X, W, B, RM, RV, 0.1, 1e-5)) + [RM, RV]
    yield "batch_norm_forward_train", dtype, label, forward_train, list(expect) + [rm_ref, rv_ref]
    RM, RV = backend.asarray(rm_ref), backend.asarray(rv_ref)
    yield ("batch_norm_forward_inference", dtype, label,
           lambda: [backend.batch_norm_forward_inference(X, W, B, RM, RV, 1e-5)],
           [ref.batch_norm_forward_inference(x, w, b, rm_ref, rv_ref, 1e-5)])
    M, S = backend.asarray(expect[1]), backend.asarray(expect[2])
    yield ("batch_norm_backward", dtype, label,
           lambda: list(backend.batch_norm_backward(DY, X, W, M, S)),
           list(ref.batch_norm_backward(dy, x, w, expect[1], expect[2])))


def checks(backend) -> Iterator[Check]:
    """Yield ``(op, dtype, shape text, compute, expected)``: ``compute()`` runs the op on
    ``backend`` and returns its outputs, ``expected`` the NumPy backend's on the same inputs."""
    from ..backend import get_backend
    ref = get_backend("numpy")
    rng = numpy.random.default_rng(0)
    for dtype in (numpy.dtype("float32"), numpy.dtype("float64")):
        for case in CONV_CASES:
            yield from _conv_checks(backend, ref, rng, dtype, case)
        for shape in BN_CASES:
            yield from _bn_checks(backend, ref, rng, dtype, shape)


def evaluate(backend, compute: Callable[[], list], expected: Sequence, dtype) -> Tuple[str, str]:
    """Run one check twice: ("pass" | "FAIL" | "ERROR", detail)."""
    try:
        first = [backend.to_numpy(a) for a in compute()]
        second = [backend.to_numpy(a) for a in compute()]
    except Exception as e:   # report it in the table and go on with the other checks
        return "ERROR", f"{type(e).__name__}: {e}".splitlines()[0][:100]
    err = max(rel_err(a, e) for a, e in zip(first, expected)) if len(first) == len(expected) \
        else float("inf")
    repeatable = all(a.tobytes() == b.tobytes() for a, b in zip(first, second))
    ok = err <= RTOL[numpy.dtype(dtype)] and repeatable
    return ("pass" if ok else "FAIL"), f"{err:.2e}" + ("" if repeatable else " not repeatable")


def run(args) -> int:
    from ..backend import get_backend
    backend = get_backend(args.backend)
    print(f"xpnet selftest: backend {backend.name} against numpy; tolerance (max rel err) "
          f"float32 {RTOL[numpy.dtype('float32')]:g}, float64 {RTOL[numpy.dtype('float64')]:g}; "
          "each op run twice, results must be bit-identical")
    t0 = time.perf_counter()
    backend.precompile()
    print(f"kernels compiled or loaded from cache in {time.perf_counter() - t0:.1f} s")
    start = time.perf_counter()
    summary: dict = defaultdict(lambda: [0, 0])
    failed: List[str] = []
    print(f"{'op':30s} {'dtype':8s} {'shape':52s} {'max rel err':>12s}  result")
    for op, dtype, label, compute, expected in checks(backend):
        result, detail = evaluate(backend, compute, expected, dtype)
        summary[(op, dtype.name)][0] += result == "pass"
        summary[(op, dtype.name)][1] += 1
        if result != "pass":
            failed.append(f"{op} {dtype.name} {label}: {result} {detail}")
        print(f"{op:30s} {dtype.name:8s} {label:52s} {detail:>12s}  {result}")
    print(f"\n{'op':30s} {'dtype':8s} passed")
    for (op, dt), (ok, total) in summary.items():
        print(f"{op:30s} {dt:8s} {ok}/{total}")
    total = sum(t for _, t in summary.values())
    print(f"{total - len(failed)} passed, {len(failed)} failed "
          f"({time.perf_counter() - start:.1f} s)")
    for line in failed:
        print(f"FAILED {line}")
    return 1 if failed else 0
