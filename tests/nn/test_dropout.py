"""Dropout: statistics, scaling, eval identity, p validation, reproducibility across backends."""
import math

import numpy
import pytest

import xpnet
import xpnet.nn.functional as F
from xpnet import nn
from tolerances import GRADCHECK


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fraction_kept_and_scaling(backend_name, p):
    """Each element is kept independently with probability 1 - p.

    The kept fraction of n = 200,000 elements has standard deviation
    sqrt(p (1 - p) / n) <= 1.2e-3; 5 of them bound it for a correct mask,
    while e.g. keeping with probability p instead (p = 0.1, 0.8) is off by 0.3+.
    """
    n = 200_000
    host = numpy.random.default_rng(0).uniform(1.0, 2.0, n).astype(numpy.float32)
    y = F.dropout(xpnet.tensor(host), p=p).numpy()
    kept = y != 0
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    scale = numpy.float32(1 / (1 - p))
    numpy.testing.assert_array_equal(y[kept], host[kept] * scale)  # exact: one rounding


def test_gradient_is_the_same_mask(backend_name):
    x = xpnet.tensor(numpy.random.default_rng(1).uniform(1, 2, (50, 40)), requires_grad=True)
    y = F.dropout(x, p=0.3)
    y.backward(numpy.ones(x.shape))
    mask = y.numpy() / x.numpy()  # 0 or 1/(1-p) per element
    numpy.testing.assert_allclose(x.grad.numpy(), mask, rtol=1e-15)
    assert set(numpy.round(numpy.unique(mask), 12)) == {0.0, round(1 / 0.7, 12)}


def test_gradcheck_with_a_fixed_mask(backend_name):
    x = xpnet.tensor(numpy.random.default_rng(2).standard_normal((4, 5)), requires_grad=True)

    def f(t):
        xpnet.manual_seed(7)  # the same mask on every evaluation
        return F.dropout(t, p=0.4)
    assert xpnet.gradcheck(f, [x], **GRADCHECK)


def test_eval_and_p_zero_are_identity(backend_name):
    x = xpnet.randn(3, 4)
    m = nn.Dropout(0.5)
    assert m.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_p_one_zeros_everything(backend_name):
    x = xpnet.tensor(numpy.ones((3, 4)), requires_grad=True)
    y = F.dropout(x, p=1.0)
    assert not y.numpy().any() and numpy.isfinite(y.numpy()).all()
    y.sum().backward()
    assert not x.grad.numpy().any()


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_p_out_of_range(backend_name, bad):
    with pytest.raises(ValueError, match=rf"p must be in \[0, 1\]; got p={bad}"):
        nn.Dropout(bad)
    with pytest.raises(ValueError, match=rf"got p={bad}"):
        F.dropout(xpnet.ones(2), bad)


def test_p_type_and_input_dtype_errors(backend_name):
    with pytest.raises(TypeError, match="got True"):
        nn.Dropout(True)
    with pytest.raises(TypeError, match="got '0.5'"):
        F.dropout(xpnet.ones(2), "0.5")
    with pytest.raises(TypeError, match="floating-point"):
        F.dropout(xpnet.tensor([1, 2]), 0.5)


def test_same_seed_same_mask_on_every_backend(same_draws_on_host_backends):
    mask, = same_draws_on_host_backends(3, lambda _: [F.dropout(xpnet.ones(64, 32), 0.5).numpy()])
    assert 0 < mask.mean() < 2  # some kept (value 2), some dropped


def test_non_contiguous_input_not_modified(backend_name):
    host = numpy.random.default_rng(4).standard_normal((6, 8))
    x = xpnet.tensor(host)
    xpnet.manual_seed(5)
    y_view = F.dropout(x.transpose(0, 1), 0.5).numpy()
    xpnet.manual_seed(5)
    y_copy = F.dropout(xpnet.tensor(host.T.copy()), 0.5).numpy()
    numpy.testing.assert_array_equal(y_view, y_copy)
    numpy.testing.assert_array_equal(x.numpy(), host)


def test_module_repr_and_training_switch(backend_name):
    m = nn.Dropout(0.25)
    assert repr(m) == "Dropout(p=0.25)"
    x = xpnet.ones(1000)
    assert (m(x).numpy() == 0).any()
    m.eval()
    assert (m(x).numpy() == 1).all()
