"""BatchNorm1d/2d and functional.batch_norm: PyTorch numerics, running statistics, gradients."""
import numpy
import pytest

import xpnet
from xpnet import nn
from xpnet.nn import functional as F
from references import batch_norm_ref
from tolerances import GRADCHECK, assert_close

SHAPES = [(4, 3), (2, 5, 7), (3, 4, 5, 6), (1, 3, 2, 2), (5, 1, 1, 1), (2, 7, 1, 3)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_training_forward_and_running_stats(backend_name, shape, dtype):
    rng = numpy.random.default_rng(0)
    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    c = shape[1]
    w, b = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    rm0, rv0 = rng.standard_normal(c).astype(dtype), rng.random(c).astype(dtype) + 0.5
    rm, rv = xpnet.tensor(rm0), xpnet.tensor(rv0)
    y = F.batch_norm(xpnet.tensor(x), rm, rv, xpnet.tensor(w), xpnet.tensor(b), training=True,
                     momentum=0.3, eps=1e-5)
    ref, mean, var = batch_norm_ref(x, w, b, 1e-5)
    m = x.size // c
    assert y.dtype == numpy.dtype(dtype)
    assert_close(y, ref, dtype)
    assert_close(rm, 0.7 * rm0 + 0.3 * mean, dtype)
    assert_close(rv, 0.7 * rv0 + 0.3 * var * m / (m - 1), dtype)  # unbiased, as PyTorch


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_eval_uses_running_stats(backend_name, shape):
    rng = numpy.random.default_rng(1)
    x = rng.standard_normal(shape)
    c = shape[1]
    rm, rv, w, b = rng.standard_normal(c), rng.random(c) + 0.5, rng.standard_normal(c), rng.standard_normal(c)
    y = F.batch_norm(xpnet.tensor(x), xpnet.tensor(rm), xpnet.tensor(rv), xpnet.tensor(w),
                     xpnet.tensor(b), training=False, eps=1e-3)
    sh = (1, c) + (1,) * (len(shape) - 2)
    assert_close(y, (x - rm.reshape(sh)) / numpy.sqrt(rv.reshape(sh) + 1e-3) * w.reshape(sh)
                 + b.reshape(sh))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 2, 3, 3), (1, 3, 1, 2)], ids=str)
def test_batch_norm_gradcheck(backend_name, shape, training, affine):
    rng = numpy.random.default_rng(2)
    c = shape[1]
    x = xpnet.tensor(rng.standard_normal(shape) * 3 + 1, requires_grad=True)
    w = xpnet.tensor(rng.standard_normal(c), requires_grad=True) if affine else None
    b = xpnet.tensor(rng.standard_normal(c), requires_grad=True) if affine else None
    rm, rv = rng.standard_normal(c), rng.random(c) + 0.5

    def f(x, *wb):
        # fresh running stats each call: the training update must not leak between evaluations
        return F.batch_norm(x, xpnet.tensor(rm), xpnet.tensor(rv), *wb, training=training)
    assert xpnet.gradcheck(f, [x] + ([w, b] if affine else []), **GRADCHECK)


@pytest.mark.parametrize("spread", [1.0, 0.1])
def test_float32_statistics_are_stable_for_large_mean(backend_name, spread):
    # mean 1e3, std 1 (and 0.1): E[x^2]-E[x]^2 in float32 loses every digit here
    rng = numpy.random.default_rng(3)
    x64 = 1e3 + spread * rng.standard_normal((64, 4, 12, 12))
    x32 = x64.astype(numpy.float32)
    rm, rv = xpnet.zeros(4), xpnet.ones(4)
    y = F.batch_norm(xpnet.tensor(x32), rm, rv, training=True, momentum=1.0, eps=1e-12)
    ref, mean, var = batch_norm_ref(x32.astype(numpy.float64), None, None, 1e-12)
    m = x32.size // 4
    # float32 inputs are exact; a stable two-pass/Welford sum over m=9216 values has
    # relative error ~ sqrt(m) * 6e-8 ~ 6e-6 of the spread, so y (unit scale) within 1e-3
    # and the variance within 1e-3 relative; the naive formula is off by >100%
    numpy.testing.assert_allclose(rm.numpy(), mean, rtol=1e-6)
    numpy.testing.assert_allclose(rv.numpy(), var * m / (m - 1), rtol=1e-3)
    numpy.testing.assert_allclose(y.numpy(), ref, atol=1e-3)


def test_module_train_eval_and_momentum_none():
    rng = numpy.random.default_rng(4)
    bn = nn.BatchNorm2d(3, momentum=None)
    batches = [rng.standard_normal((4, 3, 2, 2)) + i for i in range(3)]
    for xb in batches:
        bn(xpnet.tensor(xb, dtype="float32"))
    assert int(bn.num_batches_tracked.item()) == 3
    means = [xb.mean(axis=(0, 2, 3)) for xb in batches]
    # momentum=None: cumulative average of the batch means (starting from 0 with weight 1)
    assert_close(bn.running_mean, numpy.mean(means, axis=0).astype(numpy.float32))
    bn.eval()
    x = rng.standard_normal((2, 3, 2, 2)).astype(numpy.float32)
    y = bn(xpnet.tensor(x))
    sh = (1, 3, 1, 1)
    expect = (x - bn.running_mean.numpy().reshape(sh)) / numpy.sqrt(
        bn.running_var.numpy().reshape(sh) + 1e-5)
    assert_close(y, expect)


def test_module_without_running_stats_uses_batch_stats_in_eval():
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
    x = numpy.random.default_rng(5).standard_normal((6, 3)).astype(numpy.float32)
    assert_close(bn(xpnet.tensor(x)), batch_norm_ref(x, None, None, 1e-5)[0].astype(numpy.float32))
    assert list(bn.parameters()) == [] and bn.running_mean is None


def test_state_dict_holds_buffers():
    bn = nn.BatchNorm2d(2)
    keys = set(bn.state_dict())
    assert {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"} <= keys


def test_matches_torch_module():
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(6)
    ours, theirs = nn.BatchNorm2d(4, momentum=0.2), torch.nn.BatchNorm2d(4, momentum=0.2)
    for _ in range(3):
        x = (rng.standard_normal((5, 4, 3, 3)) * 2 + 1).astype(numpy.float32)
        tx = torch.tensor(x, requires_grad=True)
        xx = xpnet.tensor(x, requires_grad=True)
        g = rng.standard_normal(x.shape).astype(numpy.float32)
        theirs(tx).backward(torch.tensor(g))
        ours(xx).backward(xpnet.tensor(g))
        assert_close(xx.grad, tx.grad.numpy())
    assert_close(ours.running_mean, theirs.running_mean.numpy())
    assert_close(ours.running_var, theirs.running_var.numpy())
    assert_close(ours.weight.grad, theirs.weight.grad.numpy())


@pytest.mark.parametrize("make,x_shape,fragment", [
    (lambda: nn.BatchNorm2d(3), (1, 3, 1, 1), "more than 1 value per channel"),
    (lambda: nn.BatchNorm1d(3), (1, 3), "more than 1 value per channel"),
    (lambda: nn.BatchNorm2d(3), (2, 3, 4), "expected (N, 3, H, W)"),
    (lambda: nn.BatchNorm2d(3), (2, 4, 2, 2), "expected (N, 3, H, W)"),
    (lambda: nn.BatchNorm1d(5), (2, 3), "expected (N, 5) or (N, 5, L)"),
])
def test_bad_input_names_layer_and_shapes(make, x_shape, fragment):
    layer = make()
    before = layer.running_mean.numpy()
    with pytest.raises(ValueError, match=type(layer).__name__) as err:
        layer(xpnet.randn(*x_shape))
    assert fragment in str(err.value) and str(x_shape) in str(err.value)
    numpy.testing.assert_array_equal(layer.running_mean.numpy(), before)
    assert int(layer.num_batches_tracked.item()) == 0


@pytest.mark.parametrize("kwargs", [dict(num_features=0), dict(num_features=3, eps=0),
                                    dict(num_features=3, momentum=1.5)])
def test_bad_hyperparameters(kwargs):
    with pytest.raises(ValueError):
        nn.BatchNorm2d(**kwargs)


@pytest.mark.parametrize("affine", [True, False])
def test_input_of_another_backend_names_the_arguments(affine):
    """Without affine parameters only the running statistics are on the layer's backend:
    the mixture must still be a TypeError naming them, with nothing updated."""
    layer = nn.BatchNorm1d(3, affine=affine)
    x = xpnet.tensor(numpy.ones((4, 3), numpy.float32), backend="array_api_strict")
    with pytest.raises(TypeError, match="mixes tensors of backend") as err:
        layer(x)
    assert "input and " + ("weight" if affine else "running_mean") in str(err.value)
    assert int(layer.num_batches_tracked.item()) == 0


@pytest.mark.parametrize("dtype", ["float64", "int64", "bool"])
def test_input_dtype_must_be_the_layers(backend_name, dtype):
    """As torch ("mixed dtype"): a float32 layer refuses float64 input instead of returning
    float64; integer input is a TypeError naming input, not the backend's message about 'x'."""
    layer = nn.BatchNorm2d(2)
    with pytest.raises(TypeError, match="input") as err:
        layer(xpnet.ones(3, 2, 2, 2, dtype=dtype))
    assert dtype in str(err.value)
    assert int(layer.num_batches_tracked.item()) == 0
    numpy.testing.assert_array_equal(layer.running_mean.numpy(), numpy.zeros(2, numpy.float32))


def test_empty_batch_in_eval_mode(backend_name):
    """As torch: evaluation normalizes with the running statistics, so N = 0 is fine."""
    layer = nn.BatchNorm1d(3).eval()
    x = xpnet.zeros(0, 3, requires_grad=True)
    y = layer(x)
    assert y.shape == (0, 3) and y.dtype == xpnet.float32
    y.sum().backward()
    assert x.grad.shape == (0, 3)


@pytest.mark.parametrize("name, value, error", [
    ("eps", "1e-5", TypeError), ("momentum", "0.1", TypeError),   # were read with float()
    ("eps", [1e-5], TypeError), ("momentum", float("nan"), ValueError)])
def test_hyperparameters_must_be_real_numbers(name, value, error):
    with pytest.raises(error, match=name):
        nn.BatchNorm1d(3, **{name: value})
    with pytest.raises(error, match=name):
        F.batch_norm(xpnet.ones(4, 3), None, None, training=True, **{name: value})


@pytest.mark.parametrize("given", ["running_mean", "running_var"])
def test_running_statistics_come_in_pairs(given):
    """As torch: one statistic without the other was accepted (and updated alone)."""
    stats = dict(running_mean=None, running_var=None)
    stats[given] = xpnet.ones(3)
    with pytest.raises(ValueError, match="running_mean and running_var must both be"):
        F.batch_norm(xpnet.randn(4, 3), training=True, **stats)
    numpy.testing.assert_array_equal(stats[given].numpy(), numpy.ones(3, numpy.float32))
