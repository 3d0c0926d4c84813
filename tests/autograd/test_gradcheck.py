"""gradcheck itself (it must catch wrong gradients) and gradchecks of composite graphs."""
import numpy
import pytest

import xpnet
from xpnet.autograd import gradcheck, numerical_grad
from xpnet.autograd.function import as_tensors, record
from tolerances import GRADCHECK


def _square_with_backward(backward_factor):
    """``x**2`` recorded with the gradient ``backward_factor * x * g`` (2 is right)."""
    def op(x):
        x, = as_tensors(x)
        return record(x.data * x.data, (x,), lambda g: (backward_factor * x.data * g,))
    return op


def _x64(*shape, seed=0):
    return xpnet.tensor(numpy.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_gradcheck_accepts_a_correct_gradient(backend_name):
    assert gradcheck(_square_with_backward(2.0), [_x64(3, 2)], **GRADCHECK)


def test_gradcheck_catches_a_wrong_gradient(backend_name):
    x = _x64(3, 2)
    with pytest.raises(AssertionError, match="input 0"):
        gradcheck(_square_with_backward(2.001), [x], **GRADCHECK)
    assert gradcheck(_square_with_backward(1.0), [x], raise_exception=False, **GRADCHECK) is False


def test_gradcheck_needs_float64():
    x = xpnet.tensor([1.0, 2.0], requires_grad=True)  # float32
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * t, [x])


def test_gradcheck_leaves_inputs_unchanged(backend_name):
    x = _x64(4)
    before = x.numpy()
    gradcheck(lambda t: t.exp(), [x], **GRADCHECK)
    numpy.testing.assert_array_equal(x.numpy(), before)


def test_numerical_grad_matches_closed_form(backend_name):
    # f(x) = x**3, projected on the random weights w it reports: d/dx sum(w x^3) = 3 w x^2
    x = _x64(5)
    (num,), (w,) = numerical_grad(lambda t: t * t * t, [x], eps=1e-6)
    numpy.testing.assert_allclose(num, 3 * w * x.numpy() ** 2, rtol=1e-7, atol=1e-9)


def test_gradcheck_with_tuple_output_and_constant_input(backend_name):
    a, b = _x64(2, 3, seed=1), xpnet.tensor(numpy.ones((2, 3)))  # b needs no gradient
    assert gradcheck(lambda p, q: (p * q, (p * p).sum(dim=1)), [a, b], **GRADCHECK)


def test_gradcheck_mlp_with_cross_entropy(backend_name):
    """A two-layer net and a log-softmax cross entropy built only from autograd primitives."""
    rng = numpy.random.default_rng(7)
    x = xpnet.tensor(rng.standard_normal((4, 3)))
    labels = xpnet.tensor(numpy.array([0, 2, 1, 2]))
    w1, b1 = _x64(3, 5, seed=2), _x64(5, seed=3)
    w2, b2 = _x64(5, 3, seed=4), _x64(3, seed=5)

    def loss(w1, b1, w2, b2):
        h = (x @ w1 + b1).tanh()
        logits = h @ w2 + b2
        m = logits.max(dim=1, keepdim=True).values
        logp = logits - m - (logits - m).exp().sum(dim=1, keepdim=True).log()
        picked = xpnet.stack([logp[i][labels[i].item()] for i in range(4)])
        return -picked.mean()

    assert gradcheck(loss, [w1, b1, w2, b2], **GRADCHECK)
