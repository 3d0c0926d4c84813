"""Activation functions and modules: values against closed forms, gradients, stability, kinks.

References are written here from the definitions in float64 NumPy (``math.erf``
for GELU), independent of the implementation; PyTorch is a second opinion
where installed.
"""
import math
import warnings

import numpy
import pytest

import xpnet
import xpnet.nn.functional as F
from xpnet import nn
from xpnet.nn.functional import _erf
from tolerances import GRADCHECK, assert_close

_erf_np = numpy.vectorize(math.erf)
_erfc_np = numpy.vectorize(math.erfc)


def _softmax_ref(x, axis):
    e = numpy.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_ref(x, axis):
    s = x - x.max(axis=axis, keepdims=True)
    return s - numpy.log(numpy.exp(s).sum(axis=axis, keepdims=True))


# name -> (function of a Tensor, float64 NumPy reference)
CASES = {
    "relu": (F.relu, lambda x: numpy.maximum(x, 0)),
    "leaky_relu": (lambda t: F.leaky_relu(t, 0.2), lambda x: numpy.where(x > 0, x, 0.2 * x)),
    "elu": (lambda t: F.elu(t, 1.5), lambda x: numpy.where(x > 0, x, 1.5 * numpy.expm1(x))),
    "gelu": (F.gelu, lambda x: x * 0.5 * (1 + _erf_np(x / math.sqrt(2)))),
    "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + numpy.tanh(math.sqrt(2 / math.pi)
                                                      * (x + 0.044715 * x ** 3)))),
    "sigmoid": (F.sigmoid, lambda x: 1 / (1 + numpy.exp(-x))),
    "tanh": (F.tanh, numpy.tanh),
    "softmax": (lambda t: F.softmax(t, dim=1), lambda x: _softmax_ref(x, 1)),
    "log_softmax": (lambda t: F.log_softmax(t, dim=-1), lambda x: _log_softmax_ref(x, -1)),
    "softmax_dim0": (lambda t: F.softmax(t, dim=0), lambda x: _softmax_ref(x, 0)),
}


def _sample(shape, seed=0, scale=2.0):
    x = numpy.random.default_rng(seed).standard_normal(shape) * scale
    return numpy.where(numpy.abs(x) < 1e-3, 0.5, x)  # keep gradcheck points off the kinks


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_match_reference(backend_name, name, dtype):
    fn, ref = CASES[name]
    host = _sample((4, 7)).astype(dtype)
    x = xpnet.tensor(host)
    y = fn(x)
    assert y.dtype == numpy.dtype(dtype) and y.shape == host.shape
    assert_close(y, ref(host.astype(numpy.float64)), dtype)
    numpy.testing.assert_array_equal(x.numpy(), host)  # input not modified


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_float64(backend_name, name):
    fn, _ = CASES[name]
    x = xpnet.tensor(_sample((3, 5), seed=1), dtype=xpnet.float64, requires_grad=True)
    assert xpnet.gradcheck(fn, [x], **GRADCHECK)


@pytest.mark.parametrize("name", sorted(CASES))
def test_non_contiguous_input(backend_name, name):
    fn, _ = CASES[name]
    host = _sample((6, 5), seed=2)
    base = xpnet.tensor(host.T.copy(), dtype=xpnet.float64)
    view = xpnet.tensor(host, dtype=xpnet.float64).transpose(0, 1)  # a transposed view
    assert_close(fn(view), fn(base).numpy())


@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    tfn = {
        "relu": torch.relu, "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, 0.2),
        "elu": lambda t: torch.nn.functional.elu(t, 1.5), "gelu": torch.nn.functional.gelu,
        "gelu_tanh": lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
        "sigmoid": torch.sigmoid, "tanh": torch.tanh,
        "softmax": lambda t: torch.softmax(t, 1), "log_softmax": lambda t: torch.log_softmax(t, -1),
        "softmax_dim0": lambda t: torch.softmax(t, 0),
    }[name]
    host = _sample((4, 6), seed=3)
    # kinks included: PyTorch's conventions there must match ours
    host[0, :3] = 0.0
    g = numpy.random.default_rng(4).standard_normal(host.shape)
    x = xpnet.tensor(host, requires_grad=True)
    CASES[name][0](x).backward(g)
    tx = torch.tensor(host, requires_grad=True)
    ty = tfn(tx)
    ty.backward(torch.tensor(g))
    numpy.testing.assert_allclose(CASES[name][0](xpnet.tensor(host)).numpy(), ty.detach().numpy(),
                                  rtol=1e-12, atol=1e-14)
    numpy.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_kink_conventions(backend_name):
    x = xpnet.tensor([0.0, 0.0, 0.0], dtype=xpnet.float64, requires_grad=True)
    (F.relu(x)[0] + F.leaky_relu(x, 0.3)[1] + F.elu(x, 2.0)[2]).backward()
    # PyTorch: relu'(0) = 0, leaky_relu'(0) = negative_slope, elu'(0) = alpha
    numpy.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.3, 2.0])


def test_relu_propagates_nan(backend_name):
    y = F.relu(xpnet.tensor([float("nan"), -1.0, 1.0])).numpy()
    assert numpy.isnan(y[0]) and y[1] == 0 and y[2] == 1


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_stable_for_large_inputs(backend_name, name):
    fn, ref = CASES[name]
    host = numpy.array([[1e4, -1e4, 0.0, 9990.0], [-1e4, -1e4 + 1, -1e4 + 2, -1e4 + 3]],
                       dtype=numpy.float32)
    x = xpnet.tensor(host, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        y = fn(x)
        y.backward(numpy.ones(host.shape, numpy.float32))
    assert numpy.isfinite(y.numpy()).all() and numpy.isfinite(x.grad.numpy()).all()
    assert_close(y, ref(host.astype(numpy.float64)), "float32")


def test_log_softmax_exact_where_softmax_underflows(backend_name):
    x = xpnet.tensor([[0.0, -200.0]], dtype=xpnet.float32)
    y = F.log_softmax(x, dim=1).numpy()
    # log(1 + e^-200) ~ 1.4e-87 underflows, so the exact values are 0 and -200
    numpy.testing.assert_allclose(y, [[0.0, -200.0]], rtol=1e-7)


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "elu", "sigmoid", "tanh"])
def test_saturating_functions_finite_at_extremes(backend_name, name):
    fn, ref = CASES[name]
    host = numpy.array([-1e4, -50.0, 50.0, 1e4, 3e38, -3e38], dtype=numpy.float32)
    x = xpnet.tensor(host, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fn(x)
        y.backward(numpy.ones(host.shape, numpy.float32))
    assert numpy.isfinite(y.numpy()).all() and numpy.isfinite(x.grad.numpy()).all()
    with numpy.errstate(over="ignore"):  # the naive references overflow to the right limit
        expected = ref(host.astype(numpy.float64))
    numpy.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)


# ---------------------------------------------------------------- erf ---- #

_ERF_POINTS = numpy.concatenate([numpy.linspace(-8, 8, 4001), numpy.linspace(-27, 27, 541),
                                 [0.0, 1e-300, -1e-20, 0.46875, -0.46875, 4.0, -4.0, 30.0]])


def test_erf_float64_near_rounding(backend_name):
    """Cody's approximations are good to ~18 digits, so only the final roundings remain.

    Measured worst cases: 4.4e-16 (erf), 8.1e-16 (erfc) relative; 2e-15 (~9
    ulps) leaves room for a different exp() while failing any real formula slip.
    """
    be = xpnet.get_backend()
    x = be.asarray(_ERF_POINTS)
    e, c = be.to_numpy(_erf.erf(be.xp, x)), be.to_numpy(_erf.erfc(be.xp, x))
    numpy.testing.assert_allclose(e, _erf_np(_ERF_POINTS), rtol=2e-15, atol=0)
    ref_c = _erfc_np(_ERF_POINTS)
    tiny = ref_c < 1e-300  # subnormal results carry fewer digits
    numpy.testing.assert_allclose(c[~tiny], ref_c[~tiny], rtol=2e-15, atol=0)
    assert numpy.abs(c[tiny] - ref_c[tiny]).max(initial=0) < 1e-310


def test_erf_float32_within_one_ulp(backend_name):
    """float32 inputs are evaluated in float64 and rounded once: at most 1 float32 ulp off."""
    be = xpnet.get_backend()
    pts = _ERF_POINTS.astype(numpy.float32)
    x = be.asarray(pts)
    e, c = be.to_numpy(_erf.erf(be.xp, x)), be.to_numpy(_erf.erfc(be.xp, x))
    assert e.dtype == c.dtype == numpy.float32
    ref_e, ref_c = _erf_np(pts.astype(float)), _erfc_np(pts.astype(float))
    eps = float(numpy.finfo(numpy.float32).eps)
    numpy.testing.assert_allclose(e, ref_e, rtol=eps, atol=0)
    normal = ref_c > numpy.finfo(numpy.float32).tiny
    numpy.testing.assert_allclose(c[normal], ref_c[normal], rtol=eps, atol=0)


def test_erf_special_values(backend_name):
    be = xpnet.get_backend()
    x = be.asarray(numpy.array([numpy.inf, -numpy.inf, numpy.nan, -0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = be.to_numpy(_erf.erf(be.xp, x))
        c = be.to_numpy(_erf.erfc(be.xp, x))
    numpy.testing.assert_array_equal(e[[0, 1, 3]], [1.0, -1.0, 0.0])
    numpy.testing.assert_array_equal(c[[0, 1, 3]], [0.0, 2.0, 1.0])
    assert numpy.isnan(e[2]) and numpy.isnan(c[2])


# ------------------------------------------------------------ errors ---- #

def test_errors(backend_name):
    ints = xpnet.tensor([1, 2, 3])
    for fn in (F.relu, F.gelu, F.sigmoid, lambda t: F.softmax(t, 0)):
        with pytest.raises(TypeError, match="floating-point"):
            fn(ints)
    x = xpnet.tensor([[1.0, 2.0]])
    with pytest.raises(ValueError, match="approximate.*'none' or 'tanh'.*'fast'"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError, match="dim"):
        F.softmax(x, dim=2)
    with pytest.raises(TypeError, match="needs dim"):
        F.log_softmax(x, None)
    with pytest.raises(TypeError, match="negative_slope"):
        F.leaky_relu(x, "0.1")


# ----------------------------------------------------------- modules ---- #

MODULES = [
    (nn.ReLU(), lambda t: F.relu(t), "ReLU()"),
    (nn.LeakyReLU(0.2), lambda t: F.leaky_relu(t, 0.2), "LeakyReLU(negative_slope=0.2)"),
    (nn.ELU(alpha=0.5), lambda t: F.elu(t, 0.5), "ELU(alpha=0.5)"),
    (nn.GELU(), F.gelu, "GELU(approximate='none')"),
    (nn.GELU("tanh"), lambda t: F.gelu(t, "tanh"), "GELU(approximate='tanh')"),
    (nn.Sigmoid(), F.sigmoid, "Sigmoid()"),
    (nn.Tanh(), F.tanh, "Tanh()"),
    (nn.Softmax(dim=1), lambda t: F.softmax(t, 1), "Softmax(dim=1)"),
    (nn.LogSoftmax(dim=0), lambda t: F.log_softmax(t, 0), "LogSoftmax(dim=0)"),
]


@pytest.mark.parametrize("module,fn,text", MODULES, ids=[m[2] for m in MODULES])
def test_modules_wrap_functions(backend_name, module, fn, text):
    x = xpnet.tensor(_sample((3, 4), seed=5))
    numpy.testing.assert_array_equal(module(x).numpy(), fn(x).numpy())
    assert repr(module) == text
    assert list(module.parameters()) == [] and list(module.buffers()) == []


def test_module_argument_errors():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("erf")
    with pytest.raises(TypeError, match=r"Softmax\(dim\) needs an int"):
        nn.Softmax(dim=None)


@pytest.mark.parametrize("fn,expected", [("softmax", 1.0), ("log_softmax", 0.0)])
def test_softmax_of_a_0d_tensor_follows_pytorch(backend_name, fn, expected):
    x = xpnet.tensor(2.5, requires_grad=True)
    y = getattr(F, fn)(x, dim=0)
    assert y.shape == () and y.item() == pytest.approx(expected)
    y.backward()
    assert x.grad.item() == pytest.approx(0.0)
    with pytest.raises(ValueError, match="dim"):
        getattr(F, fn)(x, dim=1)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape, dim", [((0,), 0), ((2, 0), 1), ((0, 3), 1)])
def test_softmax_of_empty_input_is_empty(backend_name, fn, shape, dim):
    """As torch; NumPy's max over an empty axis raised 'zero-size array to reduction'."""
    x = xpnet.zeros(*shape, requires_grad=True)
    y = fn(x, dim=dim)
    assert y.shape == shape and y.dtype == xpnet.float32
    y.sum().backward()
    assert x.grad.shape == shape
