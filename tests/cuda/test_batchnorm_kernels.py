"""Batch-norm CUDA kernels (kernels/batchnorm.cu via xpnet/backend/cuda/batchnorm.py) on the
CPU simulator, against the NumPy backend evaluated in float64.

The reference always runs on float64 copies of the inputs, so the measured
error is that of the kernels alone.  Tolerances (tests/tolerances.py): float64
1e-10 relative; float32 1e-4 relative / 1e-5 absolute: every output is a
per-channel reduction of at most a few thousand O(1) terms (Welford / tree
sums: error O(log m) ulps per level, ~1e-6 relative) followed by O(1)
elementwise operations, far inside 1e-4 while a wrong formula (e.g. a biased
variance in the running stats, a missing term in dx) is off by > 1e-3.

Small ``block`` / ``chunk`` values make the small shapes span several blocks
per channel, with chunk sizes that do not divide m and blocks larger than
the chunk.
"""
import pathlib
import subprocess
import sys

import numpy
import pytest

from backends import require_backend
from tolerances import tol
from xpnet.backend import get_backend
from xpnet.backend.cuda import batchnorm
from xpnet.backend.cuda.simulator import SimLauncher, asan_subprocess_env

require_backend("cudasim")   # the simulator needs Linux and a C++ compiler

# (shape, block, chunk); chunk None = block * ITEMS_PER_THREAD
CASES = [
    ((2, 3, 4, 5), 32, 16),       # m = 40: 3 chunks, the last partial; S = 20 < block
    ((1, 2, 37), 32, 32),         # N = 1, 2 chunks
    ((50, 3), 16, 16),            # (N, C) input, S = 1, 4 chunks
    ((3, 2, 2, 3, 5), 64, None),  # 3-D spatial, one chunk, block > m
    ((4, 2, 700), 256, None),     # the defaults: m = 2800 = 2 chunks of 2048
    ((7, 1, 1, 1), 32, 4),        # C = 1, S = 1
]
IDS = ["multi-chunk", "N=1", "S=1", "3d", "defaults", "C=1"]
DTYPES = [numpy.float64, numpy.float32]
NP = get_backend("numpy")


def _inputs(shape, dtype, seed=0, mean=0.5, std=2.0):
    rng = numpy.random.default_rng(seed)
    C = shape[1]
    x = (rng.standard_normal(shape) * std + mean).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    w, b = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    rm, rv = rng.standard_normal(C).astype(dtype), (rng.random(C) + 0.5).astype(dtype)
    return x, dy, w, b, rm, rv


def _f64(*arrays):
    return [None if a is None else a.astype(numpy.float64) for a in arrays]


def _check(actual, expected, dtype):
    for a, e in zip(actual, expected):
        assert a.dtype == dtype
        numpy.testing.assert_allclose(a, e, **tol(dtype))


@pytest.fixture(scope="module")
def sim():
    return SimLauncher("forward")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,block,chunk", CASES, ids=IDS)
@pytest.mark.parametrize("affine", [True, False])
def test_forward_train_and_backward_match_numpy(sim, shape, block, chunk, dtype, affine):
    x, dy, w, b, rm, rv = _inputs(shape, dtype)
    if not affine:
        w = b = None
    x0 = x.copy()
    rm_ref, rv_ref = _f64(rm, rv)
    y_ref, mean_ref, inv_ref = NP.batch_norm_forward_train(*_f64(x, w, b), rm_ref, rv_ref, 0.1, 1e-5)
    y, mean, invstd = batchnorm.forward_train(sim, x, w, b, rm, rv, 0.1, 1e-5, block=block,
                                              chunk=chunk)
    assert y.shape == x.shape and mean.shape == invstd.shape == (shape[1],)
    _check((y, mean, invstd, rm, rv), (y_ref, mean_ref, inv_ref, rm_ref, rv_ref), dtype)

    grads_ref = NP.batch_norm_backward(*_f64(dy, x, w, mean, invstd))
    grads = batchnorm.backward(sim, dy, x, w, mean, invstd, block=block, chunk=chunk)
    _check(grads, grads_ref, dtype)
    numpy.testing.assert_array_equal(x, x0)  # inputs untouched


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [CASES[0][0], CASES[2][0]], ids=["4d", "2d"])
def test_forward_inference_matches_numpy(sim, shape, dtype):
    x, _, w, b, rm, rv = _inputs(shape, dtype, seed=1)
    for weight, bias in ((w, b), (None, b), (w, None)):
        ref = NP.batch_norm_forward_inference(*_f64(x, weight, bias, rm, rv), 1e-3)
        _check((batchnorm.forward_inference(sim, x, weight, bias, rm, rv, 1e-3, block=32),),
               (ref,), dtype)


def test_running_stats_none_and_strided():
    x, _, w, b, rm, rv = _inputs((3, 4, 6), numpy.float64, seed=2)
    L = SimLauncher()
    y_none, *_ = batchnorm.forward_train(L, x, w, b, None, None, 0.1, 1e-5, block=32, chunk=8)
    # running stats that are strided views are still updated in place
    store = numpy.stack([rm, rv], axis=1)  # (C, 2): columns are strided views
    assert not store[:, 0].flags.c_contiguous
    y, _, _ = batchnorm.forward_train(L, x, w, b, store[:, 0], store[:, 1], 0.1, 1e-5, block=32,
                                      chunk=8)
    numpy.testing.assert_array_equal(y, y_none)
    var_unbiased = x.var(axis=(0, 2), ddof=1)  # independent closed form, m / (m - 1) included
    numpy.testing.assert_allclose(store[:, 0], 0.9 * rm + 0.1 * x.mean(axis=(0, 2)), rtol=1e-12)
    numpy.testing.assert_allclose(store[:, 1], 0.9 * rv + 0.1 * var_unbiased, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_schedules_give_bit_identical_results(dtype):
    x, dy, w, b, rm, rv = _inputs((3, 2, 45), dtype, seed=3)
    results = []
    for schedule, seed in (("forward", 0), ("reverse", 0), ("random", 11)):
        L = SimLauncher(schedule, seed)
        rmc, rvc = rm.copy(), rv.copy()
        fwd = batchnorm.forward_train(L, x, w, b, rmc, rvc, 0.1, 1e-5, block=32, chunk=40)
        bwd = batchnorm.backward(L, dy, x, w, fwd[1], fwd[2], block=32, chunk=40)
        results.append(fwd + bwd + (rmc, rvc))
    for other in results[1:]:
        for a, e in zip(other, results[0]):
            numpy.testing.assert_array_equal(a, e)


def test_float32_statistics_are_stable_for_large_mean():
    # mean 1000, std 0.1: E[x^2] - E[x]^2 in float32 loses everything (ulp(1e6) = 0.06 vs
    # var = 0.01).  Welford keeps the deviations: the variance's relative error is a few
    # ulp(1000) / std = 6e-5 / 0.1 per step at worst, averaging down; 1e-3 bounds it.
    x = (numpy.random.default_rng(4).standard_normal((8, 2, 300)) * 0.1 + 1000).astype(numpy.float32)
    _, mean, invstd = batchnorm.forward_train(SimLauncher(), x, None, None, None, None, 0.1, 0.0,
                                              block=64, chunk=100)
    _, mean_ref, inv_ref = NP.batch_norm_forward_train(x.astype(numpy.float64), None, None, None,
                                                       None, 0.1, 0.0)
    numpy.testing.assert_allclose(mean, mean_ref, rtol=1e-6)
    numpy.testing.assert_allclose(invstd, inv_ref, rtol=1e-3)


def test_invalid_arguments_raise_before_launch():
    L = SimLauncher()
    x, dy, w, b, rm, rv = _inputs((2, 3, 4), numpy.float32)
    rm0 = rm.copy()
    with pytest.raises(TypeError, match="weight must have the dtype of x"):
        batchnorm.forward_train(L, x, w.astype(numpy.float64), b, rm, rv, 0.1, 1e-5)
    with pytest.raises(ValueError, match=r"running_var must have shape \(3,\)"):
        batchnorm.forward_train(L, x, w, b, rm, rv[:2], 0.1, 1e-5)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batchnorm.forward_train(L, x[:1, :, :1], w, b, rm, rv, 0.1, 1e-5)
    with pytest.raises(TypeError, match="x must be float32 or float64"):
        batchnorm.forward_train(L, x.astype(numpy.int32), w, b, rm, rv, 0.1, 1e-5)
    with pytest.raises(ValueError, match=r"shape \(N, C, \*\)"):
        batchnorm.forward_inference(L, x[0, 0], w, b, rm, rv, 1e-5)
    with pytest.raises(ValueError, match="grad_out must have the shape"):
        batchnorm.backward(L, dy[:1], x, w, rm, rv)
    with pytest.raises(ValueError, match="block must be a power of two"):
        batchnorm.forward_train(L, x, w, b, rm, rv, 0.1, 1e-5, block=48)
    numpy.testing.assert_array_equal(rm, rm0)


ASAN_SCRIPT = """
import sys, numpy
sys.path[:0] = [{here!r}, {here!r} + '/..']
sys.path.append({here!r} + '/../..')
from test_batchnorm_kernels import CASES, _inputs
from xpnet.backend.cuda import batchnorm
from xpnet.backend.cuda.simulator import SimLauncher
L = SimLauncher("random", 1, asan=True)
for shape, block, chunk in CASES[:4]:
    for dt in (numpy.float32, numpy.float64):
        x, dy, w, b, rm, rv = _inputs(shape, dt)
        y, mean, invstd = batchnorm.forward_train(L, x, w, b, rm, rv, 0.1, 1e-5, block=block, chunk=chunk)
        batchnorm.backward(L, dy, x, None, mean, invstd, block=block, chunk=chunk)
        batchnorm.forward_inference(L, x, None, b, rm, rv, 1e-5, block=block)
print("ASAN BN OK")
"""


def test_asan_build_runs_batchnorm_clean():
    here = str(pathlib.Path(__file__).parent)
    r = subprocess.run([sys.executable, "-c", ASAN_SCRIPT.format(here=here)],
                       env=asan_subprocess_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "ASAN BN OK" in r.stdout, r.stderr[-3000:]
    assert "AddressSanitizer" not in r.stderr
