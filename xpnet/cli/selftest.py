"""``xpnet selftest``: parity of a backend's hot ops against the NumPy backend, on this machine.

Meant for users with a GPU (``xpnet selftest --backend cupy``) and usable here
with ``--backend cudasim``: every hot op, forward and backward, float32 and
float64, on a small matrix of shapes (multi-block reductions, sizes that do
not divide the tile sizes, stride/dilation/groups, batch 1, 1x1).  Prints one
row per check and exits non-zero if any fails.
"""
from __future__ import annotations

import time

import numpy

# relative error bounds: float64 from the issue (1e-10); float32 from the unit
# roundoff 6e-8 times the reduction length (up to ~1e3 terms here) plus slack
RTOL = {numpy.dtype("float64"): 1e-10, numpy.dtype("float32"): 1e-4}

CONV_CASES = [  # x shape, w shape, stride, padding, dilation, groups
    ((2, 3, 9, 7), (5, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 8, 8), (6, 2, 3, 2), (2, 1), (0, 1), (1, 2), 2),
    ((3, 5, 1, 1), (7, 5, 1, 1), (1, 1), (0, 0), (1, 1), 1),
    ((2, 6, 17, 13), (6, 1, 3, 3), (2, 2), (1, 1), (1, 1), 6),
    ((2, 32, 14, 14), (64, 32, 3, 3), (1, 1), (1, 1), (1, 1), 1),
]
BN_CASES = [(2, 3, 5, 5), (1, 4, 1, 3), (8, 16, 33, 17), (64, 2, 9, 9), (3, 5)]


def add_parser(sub) -> None:
    p = sub.add_parser("selftest", help="check a backend's hot ops against NumPy",
                       description=__doc__.splitlines()[0])
    p.add_argument("--backend", default="cupy", help="default: cupy")
    p.set_defaults(run=run)


def _rel_err(a, b) -> float:
    a, b = numpy.asarray(a, numpy.float64), numpy.asarray(b, numpy.float64)
    return float(numpy.abs(a - b).max() / max(numpy.abs(b).max(), 1e-30)) if b.size else 0.0


def checks(backend):
    """Yield (op, dtype, shape text, [(our array, reference array), ...]) for every check."""
    from ..backend import get_backend
    ref = get_backend("numpy")
    rng = numpy.random.default_rng(0)
    for dtype in (numpy.float32, numpy.float64):
        for xs, ws, st, pad, dil, g in CONV_CASES:
            x, w = rng.standard_normal(xs).astype(dtype), rng.standard_normal(ws).astype(dtype)
            b = rng.standard_normal(ws[0]).astype(dtype)
            y_ref = ref.conv2d_forward(x, w, b, st, pad, dil, g)
            dy = rng.standard_normal(y_ref.shape).astype(dtype)
            X, W, B, DY = (backend.asarray(a) for a in (x, w, b, dy))
            label = f"x{xs} w{ws} s{st} p{pad} d{dil} g{g}"
            yield "conv2d_forward", dtype, label, [
                (backend.conv2d_forward(X, W, B, st, pad, dil, g), y_ref)]
            yield "conv2d_backward_data", dtype, label, [
                (backend.conv2d_backward_data(DY, W, xs, st, pad, dil, g),
                 ref.conv2d_backward_data(dy, w, xs, st, pad, dil, g))]
            yield "conv2d_backward_filter", dtype, label, [
                (backend.conv2d_backward_filter(DY, X, ws, st, pad, dil, g),
                 ref.conv2d_backward_filter(dy, x, ws, st, pad, dil, g))]
        for shape in BN_CASES:
            c = shape[1]
            x = (rng.standard_normal(shape) * 3 + 100).astype(dtype)
            w, b = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
            rm, rv = numpy.zeros(c, dtype), numpy.ones(c, dtype)
            dy = rng.standard_normal(shape).astype(dtype)
            RM, RV = backend.asarray(rm), backend.asarray(rv)
            X, W, B, DY = (backend.asarray(a) for a in (x, w, b, dy))
            out = backend.batch_norm_forward_train(X, W, B, RM, RV, 0.1, 1e-5)
            expect = ref.batch_norm_forward_train(x, w, b, rm, rv, 0.1, 1e-5)
            label = f"x{shape}"
            yield "batch_norm_forward_train", dtype, label, list(zip(out + (RM, RV),
                                                                      expect + (rm, rv)))
            yield "batch_norm_forward_inference", dtype, label, [
                (backend.batch_norm_forward_inference(X, W, B, RM, RV, 1e-5),
                 ref.batch_norm_forward_inference(x, w, b, rm, rv, 1e-5))]
            yield "batch_norm_backward", dtype, label, list(zip(
                backend.batch_norm_backward(DY, X, W, out[1], out[2]),
                ref.batch_norm_backward(dy, x, w, expect[1], expect[2])))


def run(args) -> int:
    from ..backend import get_backend
    backend = get_backend(args.backend)
    start = time.perf_counter()
    failed = total = 0
    print(f"xpnet selftest: backend {backend.name} against numpy")
    print(f"{'op':30s} {'dtype':8s} {'shape':48s} {'max rel err':>12s}  result")
    for op, dtype, label, pairs in checks(backend):
        err = max(_rel_err(backend.to_numpy(ours), theirs) for ours, theirs in pairs)
        ok = err <= RTOL[numpy.dtype(dtype)]
        total += 1
        failed += not ok
        print(f"{op:30s} {numpy.dtype(dtype).name:8s} {label:48s} {err:12.2e}  "
              f"{'pass' if ok else 'FAIL'}")
    print(f"{total - failed} passed, {failed} failed ({time.perf_counter() - start:.1f} s)")
    return 1 if failed else 0
