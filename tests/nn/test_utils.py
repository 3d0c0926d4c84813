"""Gradient clipping: norms against NumPy, PyTorch's clip coefficient, in-place semantics."""
import math

import numpy
import pytest

import xpnet
from xpnet import nn
from xpnet.nn.utils import clip_grad_norm_, clip_grad_value_


def _params_with_grads(grads, dtype="float64"):
    params = []
    for g in grads:
        p = nn.Parameter(xpnet.zeros(*g.shape, dtype=dtype))
        p.grad = xpnet.tensor(g.astype(dtype))
        params.append(p)
    return params


GRADS = [numpy.array([[3.0, -4.0], [1.0, 2.0]]), numpy.array([0.5, -6.0, 2.0])]


def _ref_norm(grads, p):
    flat = numpy.concatenate([g.ravel() for g in grads])
    if p == math.inf:
        return numpy.abs(flat).max()
    if p == -math.inf:
        return numpy.abs(flat).min()
    if p == 0:
        return float((flat != 0).sum())
    return (numpy.abs(flat) ** p).sum() ** (1 / p)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, 0.5, 0, math.inf, -math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm(backend_name, norm_type, max_norm):
    params = _params_with_grads(GRADS)
    grad_objects = [p.grad for p in params]
    p = math.inf if norm_type == "inf" else norm_type
    total = _ref_norm(GRADS, p)
    out = clip_grad_norm_(params, max_norm, norm_type=norm_type)
    assert isinstance(out, xpnet.Tensor) and out.shape == () and out.dtype == numpy.float64
    assert out.item() == pytest.approx(total, rel=1e-14)
    coef = min(1.0, max_norm / (total + 1e-6))  # PyTorch's formula
    for param, g_obj, g in zip(params, grad_objects, GRADS):
        assert param.grad is g_obj  # the gradient tensor is kept
        numpy.testing.assert_allclose(param.grad.numpy(), g * coef, rtol=1e-14)


def test_clip_grad_norm_against_torch():
    torch = pytest.importorskip("torch")
    params = _params_with_grads(GRADS, "float32")
    tparams = [torch.zeros(g.shape, requires_grad=True) for g in GRADS]
    for t, g in zip(tparams, GRADS):
        t.grad = torch.tensor(g, dtype=torch.float32)
    ours = clip_grad_norm_(params, 2.0)
    theirs = torch.nn.utils.clip_grad_norm_(tparams, 2.0)
    assert ours.dtype == numpy.float32
    numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    for p, t in zip(params, tparams):
        numpy.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-6)


def test_single_tensor_and_missing_grads(backend_name):
    p = _params_with_grads([numpy.array([6.0, 8.0])])[0]
    without = nn.Parameter(xpnet.zeros(2))
    out = clip_grad_norm_([p, without], 5.0)
    assert out.item() == pytest.approx(10.0)
    assert without.grad is None
    clip_grad_norm_(p, 1.0)  # a lone tensor works too
    assert numpy.linalg.norm(p.grad.numpy()) == pytest.approx(1.0, rel=1e-5)
    none = clip_grad_norm_([without], 1.0)
    assert none.item() == 0.0


def test_shared_gradient_array_scaled_once(backend_name):
    """loss = sum(a + b) hands both leaves one gradient array; clipping must not scale it twice."""
    a = nn.Parameter(xpnet.zeros(4, dtype=xpnet.float64))
    b = nn.Parameter(xpnet.zeros(4, dtype=xpnet.float64))
    (a + b).backward(numpy.full(4, 3.0))
    clip_grad_norm_([a, b], 1.0)
    expected = 3.0 * 1.0 / (math.sqrt(8 * 9.0) + 1e-6)  # 8 entries of 3: total norm sqrt(72)
    numpy.testing.assert_allclose(a.grad.numpy(), expected, rtol=1e-14)
    numpy.testing.assert_allclose(b.grad.numpy(), expected, rtol=1e-14)


def test_mixed_precision_norm(backend_name):
    params = _params_with_grads(GRADS[:1], "float32") + _params_with_grads(GRADS[1:], "float64")
    out = clip_grad_norm_(params, 1.0)
    assert out.dtype == numpy.float64
    assert out.item() == pytest.approx(_ref_norm(GRADS, 2), rel=1e-7)
    assert params[0].grad.dtype == numpy.float32 and params[1].grad.dtype == numpy.float64


def test_nonfinite(backend_name):
    params = _params_with_grads([numpy.array([1.0, numpy.inf])])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    numpy.testing.assert_array_equal(params[0].grad.numpy(), [1.0, numpy.inf])  # untouched
    with numpy.errstate(invalid="ignore"):  # as PyTorch: without the flag it scales by 1/inf
        clip_grad_norm_(params, 1.0)
    g = params[0].grad.numpy()
    assert g[0] == 0 and numpy.isnan(g[1])


def test_errors(backend_name):
    params = _params_with_grads(GRADS)
    with pytest.raises(ValueError, match="max_norm must be >= 0; got -1"):
        clip_grad_norm_(params, -1)
    with pytest.raises(TypeError, match="norm_type must be a number; got 'l2'"):
        clip_grad_norm_(params, 1.0, norm_type="l2")
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        clip_grad_value_(params, -0.5)


def test_clip_grad_value(backend_name):
    params = _params_with_grads(GRADS)
    assert clip_grad_value_(params, 2.5) is None
    for p, g in zip(params, GRADS):
        numpy.testing.assert_array_equal(p.grad.numpy(), numpy.clip(g, -2.5, 2.5))
