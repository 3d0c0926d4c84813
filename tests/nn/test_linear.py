"""Linear (and F.linear), Identity: values, gradients, PyTorch's init, shape errors."""
import math

import numpy
import pytest

import xpnet
import xpnet.nn.functional as F
from xpnet import nn
from tolerances import GRADCHECK, assert_close


def _host(shape, seed):
    return numpy.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("lead", [(), (5,), (2, 3)], ids=["1d", "2d", "3d"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_loop_reference(backend_name, dtype, lead, bias):
    x, w, b = _host(lead + (4,), 0), _host((3, 4), 1), _host((3,), 2)
    # y[..., o] = sum_i x[..., i] w[o, i] + b[o], written as an explicit loop over o
    expected = numpy.stack([(x * w[o]).sum(-1) + (b[o] if bias else 0.0) for o in range(3)], -1)
    y = F.linear(xpnet.tensor(x.astype(dtype)), xpnet.tensor(w.astype(dtype)),
                 xpnet.tensor(b.astype(dtype)) if bias else None)
    assert y.shape == lead + (3,) and y.dtype == numpy.dtype(dtype)
    assert_close(y, expected, dtype)


@pytest.mark.parametrize("lead", [(4,), (2, 3), ()], ids=["2d", "3d", "1d"])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradcheck(backend_name, lead, bias):
    x = xpnet.tensor(_host(lead + (3,), 3), requires_grad=True)
    w = xpnet.tensor(_host((2, 3), 4), requires_grad=True)
    b = xpnet.tensor(_host((2,), 5), requires_grad=True)
    args = [x, w, b] if bias else [x, w]
    assert xpnet.gradcheck(lambda *a: F.linear(*a), args, **GRADCHECK)


def test_linear_non_contiguous_and_inputs_unchanged(backend_name):
    xh, wh = _host((4, 6), 6), _host((4, 3), 7)  # x used as its transpose, w as its transpose
    x = xpnet.tensor(xh, requires_grad=True)
    w = xpnet.tensor(wh, requires_grad=True)
    y = F.linear(x.transpose(0, 1), w.transpose(0, 1))  # (6, 4) @ (4, 3)
    assert_close(y, xh.T @ wh)
    y.backward(numpy.ones((6, 3)))
    assert_close(x.grad, (numpy.ones((6, 3)) @ wh.T).T)
    numpy.testing.assert_array_equal(x.numpy(), xh)
    numpy.testing.assert_array_equal(w.numpy(), wh)


def test_linear_layer_against_torch():
    torch = pytest.importorskip("torch")
    layer = nn.Linear(5, 3, dtype=xpnet.float64)
    ref = torch.nn.Linear(5, 3, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.weight.numpy()))
        ref.bias.copy_(torch.tensor(layer.bias.numpy()))
    xh, gh = _host((2, 4, 5), 8), _host((2, 4, 3), 9)
    x = xpnet.tensor(xh, requires_grad=True)
    tx = torch.tensor(xh, requires_grad=True)
    layer(x).backward(gh)
    ty = ref(tx)
    ty.backward(torch.tensor(gh))
    numpy.testing.assert_allclose(layer(x).numpy(), ty.detach().numpy(), rtol=1e-12)
    for ours, theirs in ((x.grad, tx.grad), (layer.weight.grad, ref.weight.grad),
                         (layer.bias.grad, ref.bias.grad)):
        numpy.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)


def test_wrong_in_features_raises_before_computing(backend_name, monkeypatch):
    layer = nn.Linear(in_features=64, out_features=10)
    import xpnet.nn.linear as linear_module

    def must_not_run(*args):
        raise AssertionError("the matmul ran before the shape was checked")
    monkeypatch.setattr(linear_module, "linear", must_not_run)
    with pytest.raises(ValueError) as err:
        layer(xpnet.ones(8, 3))
    msg = str(err.value)
    assert "Linear(in_features=64, out_features=10" in msg  # the layer
    assert "(8, 3)" in msg and "(*, 64)" in msg  # received and expected shapes


def test_functional_linear_errors(backend_name):
    x, w = xpnet.ones(2, 3), xpnet.ones(4, 3)
    with pytest.raises(ValueError, match=r"input of shape \(2, 5\).*expected input \(\*, 3\)"):
        F.linear(xpnet.ones(2, 5), w)
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        F.linear(x, w, xpnet.ones(3))
    with pytest.raises(ValueError, match="weight must be 2-D"):
        F.linear(x, xpnet.ones(3))
    with pytest.raises(TypeError, match="float32.*float64"):
        F.linear(x, xpnet.ones(4, 3, dtype=xpnet.float64))


def test_constructor_errors():
    with pytest.raises(ValueError, match="in_features.*-1"):
        nn.Linear(-1, 3)
    with pytest.raises(ValueError, match="out_features.*2.5"):
        nn.Linear(3, 2.5)
    with pytest.raises(TypeError, match="floating dtype.*int64"):
        nn.Linear(3, 2, dtype=xpnet.int64)


def test_parameters_shapes_dtype_repr(backend_name):
    layer = nn.Linear(6, 4, dtype=xpnet.float64)
    assert [(n, p.shape, p.dtype) for n, p in layer.named_parameters()] == [
        ("weight", (4, 6), numpy.float64), ("bias", (4,), numpy.float64)]
    assert all(p.requires_grad and p.backend.name == backend_name for p in layer.parameters())
    assert repr(layer) == "Linear(in_features=6, out_features=4, bias=True)"
    no_bias = nn.Linear(6, 4, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert_close(no_bias(xpnet.ones(1, 6)), no_bias.weight.numpy().sum(1)[None])


def test_default_init_distribution():
    """PyTorch's default: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

    With n samples of U(-a, a): the sample mean has standard error a/sqrt(3n)
    and the sample variance (a^2/3) a relative standard error sqrt(0.8/n);
    5 standard errors bound a correct implementation with probability
    1 - 6e-7 (and the seed is fixed), while a wrong bound (e.g. the gain of
    plain kaiming, sqrt(6/fan_in)) is off by far more.
    """
    fan_in, out = 256, 512
    layer = nn.Linear(fan_in, out)
    a = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        v = p.numpy().astype(numpy.float64).ravel()
        n = v.size
        assert numpy.abs(v).max() <= a
        assert numpy.abs(v).max() > a * (1 - 10 / n)  # fills the interval
        assert abs(v.mean()) < 5 * a / math.sqrt(3 * n)
        assert abs(v.var() / (a * a / 3) - 1) < 5 * math.sqrt(0.8 / n)


def test_manual_seed_same_weights_on_every_backend(same_draws_on_host_backends):
    def draw(name):
        layer = nn.Linear(7, 5)
        assert layer.weight.backend.name == name
        return layer.weight.numpy(), layer.bias.numpy()
    weight, _ = same_draws_on_host_backends(1234, draw)
    xpnet.manual_seed(1235)
    assert not numpy.array_equal(nn.Linear(7, 5).weight.numpy(), weight)


def test_zero_in_features(backend_name):
    with pytest.warns(UserWarning, match="zero-element"):
        layer = nn.Linear(0, 3)
    assert_close(layer(xpnet.ones(2, 0)), numpy.zeros((2, 3)))


def test_identity(backend_name):
    x = xpnet.tensor([1.0, 2.0], requires_grad=True)
    m = nn.Identity(54, unused="ignored")
    assert m(x) is x and repr(m) == "Identity()" and list(m.parameters()) == []
