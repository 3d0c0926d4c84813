"""exp ... astype: the generic record checks plus the conventions at kinks."""
import warnings

import numpy
import pytest

import xpnet
from op_checks import OpChecks
from tolerances import tol


class TestUnaryRecords(OpChecks):
    family = "unary"


def _grad(fn, data):
    x = xpnet.tensor(numpy.asarray(data, dtype=numpy.float64), requires_grad=True)
    fn(x).sum().backward()
    return x.grad.numpy()


@pytest.mark.parametrize("name", ["abs", "clip", "maximum", "minimum"])
def test_kink_conventions_follow_pytorch(backend_name, name):
    """abs'(0) = 0; clip passes the gradient on its bounds; maximum/minimum split ties."""
    torch = pytest.importorskip("torch")
    data = [-1.0, 0.0, 0.5, 1.0, 2.0]
    other = [0.0, 0.0, 1.0, 1.0, -3.0]
    ours, theirs = {
        "abs": (lambda x: x.abs(), lambda t: t.abs()),
        "clip": (lambda x: x.clip(0.0, 1.0), lambda t: t.clamp(0.0, 1.0)),
        "maximum": (lambda x: xpnet.maximum(x, xpnet.tensor(numpy.array(other))),
                    lambda t: torch.maximum(t, torch.tensor(other, dtype=torch.float64))),
        "minimum": (lambda x: xpnet.minimum(x, xpnet.tensor(numpy.array(other))),
                    lambda t: torch.minimum(t, torch.tensor(other, dtype=torch.float64))),
    }[name]
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    theirs(t).sum().backward()
    numpy.testing.assert_array_equal(_grad(ours, data), t.grad.numpy())


def test_maximum_with_scalar_tie_splits_gradient(backend_name):
    numpy.testing.assert_array_equal(_grad(lambda x: xpnet.maximum(x, 0.0), [-1.0, 0.0, 2.0]),
                                     [0.0, 0.5, 1.0])


def test_sigmoid_float32_saturates_without_overflow(backend_name):
    host = numpy.array([-200.0, -90.0, 0.0, 90.0, 200.0])
    x = xpnet.tensor(host.astype(numpy.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exp(200) in float32 would overflow and warn
        y = x.sigmoid()
        y.sum().backward()
    expected = 0.5 * (1 + numpy.tanh(host / 2))  # an independent closed form, in float64
    numpy.testing.assert_allclose(y.numpy(), expected, **tol(numpy.float32))
    assert numpy.isfinite(x.grad.numpy()).all()


def test_astype_gradient_is_cast_back(backend_name):
    x = xpnet.tensor(numpy.array([1.0, 2.0], dtype=numpy.float32), requires_grad=True)
    y = x.to(xpnet.float64)
    assert y.dtype == numpy.float64 and y.requires_grad
    (y * xpnet.tensor(numpy.array([0.1, 0.2]))).sum().backward()
    assert x.grad.dtype == numpy.float32
    numpy.testing.assert_array_equal(x.grad.numpy(), numpy.array([0.1, 0.2], numpy.float32))


def test_where_condition_from_comparison(backend_name):
    x = xpnet.tensor(numpy.array([-1.0, 2.0, -3.0]), requires_grad=True)
    y = xpnet.where(x > 0.0, x, x * 0.1)  # leaky ReLU
    y.sum().backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [0.1, 1.0, 0.1], rtol=1e-15)
