"""``xpnet selftest``: passes on the CUDA simulator (and on a GPU when there is one), catches
a broken backend, and its shape matrix really covers the kernels' tiling (checked against the
launch wrappers' constants)."""
import math

import numpy
import pytest

from backends import require_backend
from xpnet.backend import get_backend
from xpnet.backend.cuda import batchnorm, conv2d
from xpnet.cli import main, selftest


@pytest.fixture
def sim():
    require_backend("cudasim")
    return get_backend("cudasim")


@pytest.fixture
def few_cases(monkeypatch):
    """A short matrix for the failure tests (the full one runs in the passing test)."""
    monkeypatch.setattr(selftest, "CONV_CASES", selftest.CONV_CASES[:2])
    monkeypatch.setattr(selftest, "BN_CASES", selftest.BN_CASES[:1])


def _rows(out, result):
    return [line for line in out.splitlines() if line.rstrip().endswith(f"  {result}")]


@pytest.mark.parametrize("name", ["cudasim", "cupy"])
def test_selftest_passes_every_check(name, capsys):
    """The whole matrix: on the simulator here, on the GPU where there is one (the NumPy vs
    CuPy parity of every hot op; skipped here, a failure under XPNET_REQUIRE_GPU=1)."""
    require_backend(name)
    assert main(["selftest", "--backend", name]) == 0
    out = capsys.readouterr().out
    n_conv, n_bn = len(selftest.CONV_CASES), len(selftest.BN_CASES)
    total = 2 * 3 * (n_conv + n_bn)
    assert f"{total} passed, 0 failed" in out
    assert len(_rows(out, "pass")) == total and not _rows(out, "FAIL")
    for dt in ("float32", "float64"):            # the per-op summary table
        for op in ("conv2d_forward", "conv2d_backward_data", "conv2d_backward_filter"):
            assert f"{op:30s} {dt:8s} {n_conv}/{n_conv}" in out
        for op in ("batch_norm_forward_train", "batch_norm_forward_inference",
                   "batch_norm_backward"):
            assert f"{op:30s} {dt:8s} {n_bn}/{n_bn}" in out


def test_a_wrong_op_is_reported_as_fail_and_exits_1(sim, few_cases, monkeypatch, capsys):
    right = sim.conv2d_backward_data
    # off by 1e-3 relative: a wrong term, far above float32 rounding
    monkeypatch.setattr(sim, "conv2d_backward_data", lambda *a: right(*a) * 1.001)
    assert main(["selftest", "--backend", "cudasim"]) == 1
    out = capsys.readouterr().out
    failed = _rows(out, "FAIL")
    assert len(failed) == 4 and all(r.startswith("conv2d_backward_data") for r in failed)
    assert all("1.00e-03" in r for r in failed)
    assert f"{'conv2d_backward_data':30s} {'float32':8s} 0/2" in out
    assert f"{2 * 3 * 3 - 4} passed, 4 failed" in out and "FAILED conv2d_backward_data" in out


def test_a_float64_error_above_1e_10_fails(sim, few_cases, monkeypatch, capsys):
    right = sim.batch_norm_backward
    monkeypatch.setattr(sim, "batch_norm_backward",
                        lambda *a: tuple(g * (1 + 1e-9) for g in right(*a)))
    assert main(["selftest", "--backend", "cudasim"]) == 1
    failed = _rows(capsys.readouterr().out, "FAIL")
    assert [r.split()[:2] for r in failed] == [["batch_norm_backward", "float64"]]


def test_an_op_that_raises_is_an_error_row_and_the_rest_still_run(sim, few_cases, monkeypatch,
                                                                 capsys):
    def broken(*args):
        raise RuntimeError("CUDA simulator: kernel crashed")
    monkeypatch.setattr(sim, "batch_norm_forward_inference", broken)
    assert main(["selftest", "--backend", "cudasim"]) == 1
    out = capsys.readouterr().out
    errors = _rows(out, "ERROR")
    assert len(errors) == 2 and all("RuntimeError" in r for r in errors)
    assert len(_rows(out, "pass")) == 2 * 3 * 3 - 2


def test_results_that_change_between_runs_fail(sim, few_cases, monkeypatch, capsys):
    right, calls = sim.conv2d_forward, []

    def flaky(*args):   # a different last bit each run, well inside the tolerance
        calls.append(1)
        y = right(*args)
        return y * (1 + (1e-13 if y.dtype == numpy.float64 else 1e-6) * len(calls))
    monkeypatch.setattr(sim, "conv2d_forward", flaky)
    assert main(["selftest", "--backend", "cudasim"]) == 1
    failed = _rows(capsys.readouterr().out, "FAIL")
    assert len(failed) == 4 and all("not repeatable" in r for r in failed)


def test_rel_err():
    assert selftest.rel_err([1.0, 2.0], [1.0, 2.0]) == 0
    assert selftest.rel_err([1.0, 2.5], [1.0, 2.0]) == pytest.approx(0.25)
    assert selftest.rel_err([1.0], [1.0, 2.0]) == float("inf")      # wrong shape
    assert selftest.rel_err([numpy.nan, 2.0], [1.0, 2.0]) == float("inf")


# --------------------------------------------------------------------------
# the shape matrix covers the kernels' tiling (from the wrappers' own constants)
# --------------------------------------------------------------------------
def _geometries():
    return [conv2d.geometry(xs, ws, st, pad, dil, g) for xs, ws, st, pad, dil, g in
            selftest.CONV_CASES]


def test_conv_cases_cover_partial_and_multiple_tiles_in_every_dimension():
    gs = _geometries()
    BM, BN, BK = conv2d.BM, conv2d.BN, conv2d.BK

    def partial_multi(n, tile):   # several tiles, the last one partial
        return n > tile and n % tile != 0
    assert any(partial_multi(g.N * g.P * g.Q, BM) for g in gs)                  # fwd rows
    assert any(partial_multi(g.N * g.H * g.W, BM) for g in gs)                  # bwd_data rows
    assert any(partial_multi(g.K // g.groups, BN) for g in gs)                  # fwd cols
    assert any(partial_multi(g.C // g.groups, BN) for g in gs)                  # bwd_data cols
    assert any(partial_multi(g.C // g.groups * g.R * g.S, BM) for g in gs)      # bwd_filter rows
    assert any(g.groups > 1 and g.K // g.groups > BN for g in gs)               # tiles per group
    assert any((g.C // g.groups * g.R * g.S) % BK for g in gs)                  # reduction tail
    splits = [conv2d.wgrad_splits(g)[0] for g in gs]
    assert 1 in splits and 2 in splits and max(splits) > 8                       # split reduction
    assert any(g.N == 1 for g in gs) and any(g.R == g.S == 1 for g in gs)
    assert any(g.H == g.W == 1 for g in gs) and any(g.R > g.H for g in gs)
    assert any(min(g.sh, g.sw) > 1 for g in gs) and any(max(g.dh, g.dw) > 1 for g in gs)
    assert any(g.groups == g.C == g.K for g in gs)                                # depthwise
    assert any(g.sh > g.dh * (g.R - 1) + 1 for g in gs)                          # input rows without gradient


def test_bn_cases_cover_single_multiple_and_many_chunks():
    block = batchnorm.BLOCK
    plans = []
    for shape in selftest.BN_CASES:
        m = shape[0] * math.prod(shape[2:])
        plans.append((shape, m) + batchnorm._plan(m, block, None))   # (.., block, chunk, chunks, fin)
    assert any(m < block for _, m, *_ in plans)                                    # idle threads
    assert any(chunks > 1 and m % chunk for _, m, _, chunk, chunks, _ in plans)    # partial chunk
    assert any(chunks > fin for *_, chunks, fin in plans)                          # merge loops
    assert any(shape[0] == 1 for shape, *_ in plans)
    assert any(len(shape) == 2 for shape, *_ in plans) and any(len(shape) == 5 for shape, *_ in plans)
