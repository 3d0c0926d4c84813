"""The ``cupy`` and ``cudasim`` backends: availability messages, interface, hot ops vs NumPy.

The same test body runs on both kernel backends; ``cupy`` is collected and
skipped with the reason when there is no GPU (``XPNET_REQUIRE_GPU=1`` turns the
skip into a failure, see ``tests/conftest.py::require_backend``).
"""
import inspect

import numpy
import pytest

from backends import require_backend
from tolerances import tol
from xpnet.backend import backend_class, get_backend
from xpnet.backend.base import Backend
from xpnet.backend.cuda.cupy_backend import CupyBackend, cupy

KERNEL_BACKENDS = ["cudasim", "cupy"]
NP = get_backend("numpy")


@pytest.fixture(params=KERNEL_BACKENDS)
def kb(request):
    require_backend(request.param)
    return get_backend(request.param)


def _to(backend, *arrays):
    return [None if a is None else backend.asarray(a) for a in arrays]


def test_cupy_unavailable_reason_says_what_is_missing():
    reason = CupyBackend.unavailable_reason()
    if cupy is None:
        assert "CuPy is not installed" in reason
    elif reason is None:
        pytest.skip("a CUDA device is available here")
    else:
        assert "no CUDA device is available" in reason and "XPNET_BACKEND=cudasim" in reason


def _params(fn):
    """Parameter names, kinds and defaults (annotations aside)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", KERNEL_BACKENDS)
def test_methods_and_signatures_match_the_base_class(name):
    cls = backend_class(name)
    for attr, base_fn in vars(Backend).items():
        if callable(base_fn) and not attr.startswith("_"):
            fn = getattr(cls, attr)
            assert not getattr(fn, "__isabstractmethod__", False), f"{name}.{attr} is abstract"
            assert _params(fn) == _params(getattr(Backend, attr)), f"{name}.{attr}"
    assert callable(getattr(cls, "precompile"))


@pytest.mark.parametrize("dtype", [numpy.float64, numpy.float32])
def test_batch_norm_ops_match_numpy(kb, dtype):
    rng = numpy.random.default_rng(0)
    x = (rng.standard_normal((3, 4, 5, 6)) + 2).astype(dtype)
    dy = rng.standard_normal(x.shape).astype(dtype)
    w, b, rm = (rng.standard_normal(4).astype(dtype) for _ in range(3))
    rv = (rng.random(4) + 0.5).astype(dtype)
    rm_ref, rv_ref = rm.astype(numpy.float64), rv.astype(numpy.float64)
    ref = NP.batch_norm_forward_train(x.astype(numpy.float64), w.astype(numpy.float64),
                                      b.astype(numpy.float64), rm_ref, rv_ref, 0.1, 1e-5)
    xd, wd, bd, rmd, rvd, dyd = _to(kb, x, w, b, rm, rv, dy)
    out = kb.batch_norm_forward_train(xd, wd, bd, rmd, rvd, 0.1, 1e-5)
    assert all(kb.is_array(o) and kb.dtype_of(o) == dtype for o in out)
    for a, e in zip(list(out) + [rmd, rvd], list(ref) + [rm_ref, rv_ref]):
        numpy.testing.assert_allclose(kb.to_numpy(a), e, **tol(dtype))
    grads = kb.batch_norm_backward(dyd, xd, None, out[1], out[2])
    grads_ref = NP.batch_norm_backward(dy.astype(numpy.float64), x.astype(numpy.float64), None,
                                       kb.to_numpy(out[1]).astype(numpy.float64),
                                       kb.to_numpy(out[2]).astype(numpy.float64))
    for a, e in zip(grads, grads_ref):
        numpy.testing.assert_allclose(kb.to_numpy(a), e, **tol(dtype))
    y = kb.batch_norm_forward_inference(xd, wd, None, rmd, rvd, 1e-5)
    y_ref = NP.batch_norm_forward_inference(x.astype(numpy.float64), w.astype(numpy.float64), None,
                                            kb.to_numpy(rmd).astype(numpy.float64),
                                            kb.to_numpy(rvd).astype(numpy.float64), 1e-5)
    numpy.testing.assert_allclose(kb.to_numpy(y), y_ref, **tol(dtype))


def test_conv_ops_route_to_the_kernels(kb):
    # the conv kernels themselves are tested in test_conv_kernels.py; this checks the
    # backend methods reach them with the argument order of base.py
    rng = numpy.random.default_rng(1)
    x, w = rng.standard_normal((2, 4, 5, 6)), rng.standard_normal((6, 2, 3, 3))
    bias = rng.standard_normal(6)
    conf = ((1, 2), (1, 0), (1, 1), 2)
    y_ref = NP.conv2d_forward(x, w, bias, *conf)
    xd, wd, bd = _to(kb, x, w, bias)
    y = kb.conv2d_forward(xd, wd, bd, *conf)
    numpy.testing.assert_allclose(kb.to_numpy(y), y_ref, **tol(numpy.float64))
    dy = rng.standard_normal(y_ref.shape)
    dyd, = _to(kb, dy)
    numpy.testing.assert_allclose(kb.to_numpy(kb.conv2d_backward_data(dyd, wd, x.shape, *conf)),
                                  NP.conv2d_backward_data(dy, w, x.shape, *conf),
                                  **tol(numpy.float64))
    numpy.testing.assert_allclose(kb.to_numpy(kb.conv2d_backward_filter(dyd, xd, w.shape, *conf)),
                                  NP.conv2d_backward_filter(dy, x, w.shape, *conf),
                                  **tol(numpy.float64))


def test_non_hot_ops_are_the_array_library(kb):
    a = kb.asarray([[1.0, 2.0], [3.0, 4.0]], dtype=numpy.float32)
    assert kb.is_array(a) and kb.dtype_of(a) == numpy.float32
    host = kb.to_numpy(a)
    assert isinstance(host, numpy.ndarray)
    host[0, 0] = 9  # a copy
    assert kb.to_numpy(a)[0, 0] == 1
    idx = kb.asarray(numpy.array([0, 2, 0]))
    out = kb.add_at((3,), idx, kb.asarray([1.0, 2.0, 3.0]))
    numpy.testing.assert_array_equal(kb.to_numpy(out), [4.0, 0.0, 2.0])


def test_cudasim_arrays_are_numpy_and_precompile_builds_everything():
    sim = get_backend("cudasim")
    assert sim.xp is numpy and sim.launcher.xp is numpy
    sim.precompile()  # every registered kernel, float32 and float64 (cached on disk)
