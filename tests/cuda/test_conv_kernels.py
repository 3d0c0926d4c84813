"""The conv2d CUDA kernels, run on the CPU simulator, against an independent reference.

The reference (below) sums over the kernel taps ``(r, s)`` directly in
float64: for each tap it gathers the input pixels ``p*sh - ph + r*dh`` that the
tap touches, so it shares no code or index scheme with the kernels' implicit
GEMM.  Backward ops are checked against the same tap loop (scatter for the data
gradient, correlation for the filter gradient) and against the adjoint
identity ``<conv(x, w), dy> = <x, dx> = <w, dw>``.

Tolerances: float64 uses the project table (``tolerances.py``).  float32 inputs
are exactly representable in float64, so the float64 reference of the same
values is exact to ~1e-16 and the kernel's error is its own rounding: a dot
product of n terms accumulated in float32 (with fma) is within
``gamma_n = n*u/(1 - n*u)`` (u = 2^-24) of the exact value relative to the sum
of |terms| (Higham, Accuracy and Stability, Thm. 3.1); we assert that bound,
elementwise, against ``conv(|x|, |w|)``.

The simulator runs every CUDA thread as a fiber, so shapes are tiny; they still
cover several tiles per dimension, sizes that do not divide the tile sizes, and
a split reduction in the filter gradient.
"""
import numpy
import pytest

from backends import require_backend
from references import (conv2d_backward_data_ref, conv2d_backward_filter_ref, conv2d_out_size,
                        conv2d_ref)
from tolerances import tol
from xpnet.backend.cuda import conv2d
from xpnet.backend.cuda.simulator import SimLauncher, asan_subprocess_env

require_backend("cudasim")   # the simulator needs Linux and a C++ compiler


def assert_matches(actual, ref, abs_ref, n_terms):
    """float64: the tolerance table; float32: the gamma_n dot-product bound (module doc)."""
    assert actual.shape == ref.shape
    if actual.dtype == numpy.float64:
        numpy.testing.assert_allclose(actual, ref, **tol(numpy.float64))
        return
    u = 2.0 ** -24
    gamma = n_terms * u / (1 - n_terms * u)
    bound = gamma * abs_ref + 1e-30
    err = numpy.abs(actual.astype(numpy.float64) - ref)
    worst = numpy.unravel_index(numpy.argmax(err / bound), err.shape)
    assert numpy.all(err <= bound), (f"float32 error {err[worst]:.3g} exceeds gamma_{n_terms} bound "
                                     f"{bound[worst]:.3g} at {worst}")


# --------------------------------------------------------------------------
# the shape matrix
# --------------------------------------------------------------------------
#        x shape          w shape         stride  padding  dilation groups
CASES = {
    "basic":            ((2, 3, 7, 7), (5, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "multi_tile":       ((2, 3, 9, 9), (70, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),   # 3 x 2 tiles
    "stride_dilation":  ((1, 4, 11, 10), (6, 4, 3, 2), (2, 3), (2, 1), (2, 2), 1),
    "groups":           ((2, 4, 6, 6), (6, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2),
    "depthwise":        ((2, 3, 5, 6), (6, 1, 3, 3), (2, 1), (1, 1), (1, 1), 3),
    "pixel_1x1":        ((1, 5, 1, 1), (3, 5, 1, 1), (1, 1), (0, 0), (1, 1), 1),
    "pointwise_stride": ((2, 3, 5, 5), (4, 3, 1, 1), (2, 2), (0, 0), (1, 1), 1),
    "odd_channels":     ((1, 7, 8, 6), (9, 7, 5, 3), (1, 1), (2, 1), (1, 1), 1),
    "kernel_gt_image":  ((2, 2, 2, 3), (3, 2, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "holes_in_dx":      ((1, 2, 10, 7), (3, 2, 1, 2), (3, 2), (0, 0), (1, 3), 1),   # rows dx gets no grad
    "split_reduction":  ((3, 2, 13, 11), (4, 2, 3, 3), (1, 1), (1, 1), (1, 1), 1),  # 429 pixels, 2 splits
    "wide_reduction":   ((1, 9, 6, 6), (10, 9, 3, 3), (1, 1), (1, 1), (1, 1), 1),   # Kdim 81 > 64 rows
    "many_blocks":      ((4, 8, 16, 16), (72, 4, 3, 3), (1, 1), (1, 1), (1, 1), 2),
    "big_split":        ((8, 3, 24, 24), (16, 3, 5, 5), (1, 1), (2, 2), (1, 1), 1),  # 18 splits
}
SLOW_CASES = {   # the reference CNN's layers at batch 16
    "cnn_conv1":        ((16, 1, 28, 28), (32, 1, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    "cnn_conv2":        ((16, 32, 14, 14), (64, 32, 3, 3), (1, 1), (1, 1), (1, 1), 1),
}


def _data(case, dtype, seed=0):
    x_shape, w_shape, stride, padding, dilation, groups = case
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    P, Q = conv2d_out_size(x_shape, w_shape, stride, padding, dilation)
    dy = rng.standard_normal((x_shape[0], w_shape[0], P, Q)).astype(dtype)
    return x, w, b, dy, (stride, padding, dilation, groups)


@pytest.fixture(scope="module")
def sim():
    return SimLauncher(schedule="forward")


def _check_all_ops(launcher, case, dtype):
    x, w, b, dy, conf = _data(case, dtype)
    originals = [a.copy() for a in (x, w, b, dy)]
    N, C, H, W = x.shape
    K, Cg, R, S = w.shape
    P, Q = dy.shape[2:]

    y = conv2d.forward(launcher, x, w, b, *conf)
    assert y.dtype == dtype
    assert_matches(y, conv2d_ref(x, w, b, *conf), conv2d_ref(abs(x), abs(w), abs(b), *conf),
                   Cg * R * S + 1)

    dx = conv2d.backward_data(launcher, dy, w, x.shape, *conf)
    assert dx.dtype == dtype
    assert_matches(dx, conv2d_backward_data_ref(dy, w, x.shape, *conf),
                   conv2d_backward_data_ref(abs(dy), abs(w), x.shape, *conf), (K // conf[3]) * R * S)

    dw = conv2d.backward_filter(launcher, dy, x, w.shape, *conf)
    assert dw.dtype == dtype
    assert_matches(dw, conv2d_backward_filter_ref(dy, x, w.shape, *conf),
                   conv2d_backward_filter_ref(abs(dy), abs(x), w.shape, *conf), N * P * Q)

    for before, after in zip(originals, (x, w, b, dy)):
        numpy.testing.assert_array_equal(before, after)   # inputs untouched
    return y, dx, dw


@pytest.mark.parametrize("dtype", [numpy.float64, numpy.float32])
@pytest.mark.parametrize("name", sorted(CASES))
def test_ops_match_reference(sim, name, dtype):
    _check_all_ops(sim, CASES[name], dtype)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [numpy.float64, numpy.float32])
@pytest.mark.parametrize("name", sorted(SLOW_CASES))
def test_ops_match_reference_larger(sim, name, dtype):
    _check_all_ops(sim, SLOW_CASES[name], dtype)


def test_split_case_really_splits():
    g = conv2d.geometry(*CASES["split_reduction"])
    splits, chunk = conv2d.wgrad_splits(g)
    assert splits == 2 and chunk % conv2d.WGRAD_BK == 0 and chunk < 429
    g = conv2d.geometry(*CASES["multi_tile"])
    assert conv2d.launch_config("conv2d_fwd", g)[0] == (3, 2, 1)


def test_adjoint_identity(sim):
    """<conv(x, w), dy> = <x, backward_data(dy, w)> = <w, backward_filter(dy, x)>, float64."""
    x, w, _, dy, conf = _data(CASES["stride_dilation"], numpy.float64, seed=3)
    y = conv2d.forward(sim, x, w, None, *conf)
    dx = conv2d.backward_data(sim, dy, w, x.shape, *conf)
    dw = conv2d.backward_filter(sim, dy, x, w.shape, *conf)
    a, b, c = numpy.vdot(y, dy), numpy.vdot(x, dx), numpy.vdot(w, dw)
    assert abs(a - b) <= 1e-12 * abs(a) + 1e-12 and abs(a - c) <= 1e-12 * abs(a) + 1e-12


@pytest.mark.parametrize("name", ["multi_tile", "split_reduction", "groups"])
def test_schedules_give_bit_identical_results(name):
    """Each output element is summed by one thread in a fixed order, and split partials are
    added in split order: the thread schedule cannot change a single bit."""
    results = []
    for launcher in (SimLauncher("forward"), SimLauncher("reverse"), SimLauncher("random", seed=7)):
        x, w, b, dy, conf = _data(CASES[name], numpy.float32)
        results.append((conv2d.forward(launcher, x, w, b, *conf),
                        conv2d.backward_data(launcher, dy, w, x.shape, *conf),
                        conv2d.backward_filter(launcher, dy, x, w.shape, *conf)))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert a.tobytes() == b.tobytes()


def test_no_bias_and_non_contiguous_inputs(sim):
    x, w, _, dy, conf = _data(CASES["groups"], numpy.float64)
    xt = numpy.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # F-ordered planes
    wn = numpy.repeat(w, 2, axis=3)[..., ::2]                                     # strided view
    assert not xt.flags.c_contiguous and not wn.flags.c_contiguous
    y = conv2d.forward(sim, xt, wn, None, *conf)
    numpy.testing.assert_allclose(y, conv2d_ref(x, w, None, *conf), **tol(numpy.float64))
    dyt = dy[:, ::-1][:, ::-1]
    dw = conv2d.backward_filter(sim, dyt, xt, w.shape, *conf)
    numpy.testing.assert_allclose(dw, conv2d_backward_filter_ref(dy, x, w.shape, *conf), **tol(numpy.float64))


def test_matches_numpy_backend(sim):
    """The NumPy backend's ops (im2col + BLAS: a third, independent formulation)."""
    from xpnet.backend import backend_unavailable_reason, get_backend
    if backend_unavailable_reason("numpy") is not None:
        pytest.skip(backend_unavailable_reason("numpy"))
    nb = get_backend("numpy")
    for name in ("stride_dilation", "groups", "split_reduction"):
        x, w, b, dy, conf = _data(CASES[name], numpy.float64)
        numpy.testing.assert_allclose(conv2d.forward(sim, x, w, b, *conf),
                                      nb.conv2d_forward(x, w, b, *conf), **tol(numpy.float64))
        numpy.testing.assert_allclose(conv2d.backward_data(sim, dy, w, x.shape, *conf),
                                      nb.conv2d_backward_data(dy, w, x.shape, *conf),
                                      **tol(numpy.float64))
        numpy.testing.assert_allclose(conv2d.backward_filter(sim, dy, x, w.shape, *conf),
                                      nb.conv2d_backward_filter(dy, x, w.shape, *conf),
                                      **tol(numpy.float64))


# --------------------------------------------------------------------------
# validation happens before launch
# --------------------------------------------------------------------------
class _NoLaunch(SimLauncher):
    def _launch(self, *a):
        raise AssertionError("launched although the arguments are invalid")


ONE = ((1, 1), (0, 0), (1, 1), 1)


@pytest.mark.parametrize("call, exc, match", [
    (lambda L, f64, f32: conv2d.forward(L, f64((1, 2, 4, 4)), f32((3, 2, 1, 1)), None, *ONE),
     TypeError, "same dtype"),
    (lambda L, f64, f32: conv2d.forward(L, f64((1, 2, 4, 4)).astype(numpy.int32), f64((3, 2, 1, 1)),
                                        None, *ONE), TypeError, "float32 or float64"),
    (lambda L, f64, f32: conv2d.forward(L, [[1.0]], f64((3, 2, 1, 1)), None, *ONE),
     TypeError, "array"),
    (lambda L, f64, f32: conv2d.forward(L, f64((2, 4, 4)), f64((3, 2, 1, 1)), None, *ONE),
     ValueError, r"\(N, C, H, W\)"),
    (lambda L, f64, f32: conv2d.forward(L, f64((1, 3, 4, 4)), f64((3, 2, 1, 1)), None, *ONE),
     ValueError, "input channels"),
    (lambda L, f64, f32: conv2d.forward(L, f64((1, 2, 4, 4)), f64((3, 2, 1, 1)), f64((2,)), *ONE),
     ValueError, "bias"),
    (lambda L, f64, f32: conv2d.forward(L, f64((1, 2, 2, 2)), f64((3, 2, 3, 3)), None, *ONE),
     ValueError, "empty"),
    (lambda L, f64, f32: conv2d.forward(L, f64((1, 2, 4, 4)), f64((3, 2, 1, 1)), None,
                                        (0, 1), (0, 0), (1, 1), 1), ValueError, "stride"),
    (lambda L, f64, f32: conv2d.forward(L, f64((1, 4, 4, 4)), f64((3, 2, 1, 1)), None,
                                        (1, 1), (0, 0), (1, 1), 2), ValueError, "multiple of groups"),
    (lambda L, f64, f32: conv2d.backward_data(L, f64((1, 3, 3, 4)), f64((3, 2, 1, 1)), (1, 2, 4, 4),
                                              *ONE), ValueError, "grad_out"),
    (lambda L, f64, f32: conv2d.backward_filter(L, f64((1, 3, 4, 4)), f64((1, 2, 4, 4)), (3, 2, 1),
                                                *ONE), ValueError, "weight_shape"),
])
def test_invalid_arguments_raise_before_launch(call, exc, match):
    f64 = lambda s: numpy.zeros(s)                        # noqa: E731
    f32 = lambda s: numpy.zeros(s, numpy.float32)         # noqa: E731
    with pytest.raises(exc, match=match):
        call(_NoLaunch(), f64, f32)


def test_shapes_beyond_int32_indexing_are_refused():
    with pytest.raises(ValueError, match="N\\*P\\*Q"):
        conv2d.geometry((2**15, 1, 256, 256), (1, 1, 1, 1), (1, 1), (0, 0), (1, 1), 1)
    with pytest.raises(ValueError, match="R\\*S"):
        conv2d.geometry((1, 2**21, 8, 8), (1, 2**21, 45, 45), (1, 1), (22, 22), (1, 1), 1)


# --------------------------------------------------------------------------
# bounds: every global and shared access in bounds, under AddressSanitizer
# --------------------------------------------------------------------------
ASAN_SCRIPT = """
import numpy
from test_conv_kernels import CASES, _data
from xpnet.backend.cuda import conv2d
from xpnet.backend.cuda.simulator import SimLauncher
L = SimLauncher(asan=True)
for name in ("stride_dilation", "holes_in_dx", "kernel_gt_image", "split_reduction",
             "multi_tile", "depthwise", "pixel_1x1"):
    for dt in (numpy.float32, numpy.float64):
        x, w, b, dy, conf = _data(CASES[name], dt)
        conv2d.forward(L, x, w, b, *conf)
        conv2d.forward(L, x, w, None, *conf)
        conv2d.backward_data(L, dy, w, x.shape, *conf)
        conv2d.backward_filter(L, dy, x, w.shape, *conf)
print("ASAN-CLEAN")
"""


def test_no_out_of_bounds_access_under_asan():
    """Exact-size arrays, tile overhangs in every dimension: ASan aborts on any overrun."""
    import os
    import pathlib
    import subprocess
    import sys
    env = asan_subprocess_env()
    if not os.path.isabs(env["LD_PRELOAD"]):
        pytest.skip("the compiler's libasan.so not found")
    here = pathlib.Path(__file__).resolve().parent
    env["PYTHONPATH"] = os.pathsep.join([str(here), str(here.parent), str(here.parents[1])])
    r = subprocess.run([sys.executable, "-c", ASAN_SCRIPT], env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0 and "ASAN-CLEAN" in r.stdout, r.stderr[-3000:]
