"""The job's models: activation, dropout and initialization options."""
import math

import numpy
import pytest

import xpnet
from xpnet import nn
from xpnet.train.models import ACTIVATIONS, build_model


@pytest.mark.parametrize("name,in_shape", [("mlp", (64,)), ("mlp", (1, 8, 8)),
                                           ("cnn", (1, 8, 8)), ("cnn", (3, 12, 10))])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_activation_dropout_and_shapes(name, in_shape, activation):
    model = build_model(name, in_shape, 7, activation=activation, dropout=0.25)
    kinds = {type(m) for m in model.modules()}
    assert ACTIVATIONS[activation] in kinds and not (set(ACTIVATIONS.values()) - {ACTIVATIONS[activation]}) & kinds
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [0.25]
    x = xpnet.randn(3, *in_shape) if name == "cnn" else xpnet.randn(3, math.prod(in_shape))
    assert model(x).shape == (3, 7)


def test_default_dropout_per_model():
    assert [m.p for m in build_model("mlp", (64,), 10).modules() if isinstance(m, nn.Dropout)] == [0.1]
    assert [m.p for m in build_model("cnn", (1, 8, 8), 10).modules() if isinstance(m, nn.Dropout)] == [0.5]


def _layers(model):
    return [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


@pytest.mark.parametrize("activation,gain", [("relu", math.sqrt(2)), ("tanh", 5 / 3),
                                             ("sigmoid", 1.0),
                                             ("leaky_relu", math.sqrt(2 / (1 + 0.01 ** 2)))])
@pytest.mark.parametrize("name,in_shape", [("mlp", (64,)), ("cnn", (1, 8, 8))])
def test_he_uses_the_activations_gain(name, in_shape, activation, gain):
    for layer in _layers(build_model(name, in_shape, 10, activation=activation, init="he")):
        w = layer.weight.numpy()
        bound = gain * math.sqrt(3.0 / (w.size // w.shape[0]))  # gain * sqrt(3 / fan_in)
        assert 0.9 * bound < numpy.abs(w).max() <= bound
        numpy.testing.assert_array_equal(layer.bias.numpy(), 0.0)


@pytest.mark.parametrize("name,in_shape", [("mlp", (64,)), ("cnn", (1, 8, 8))])
def test_xavier_bounds_and_zero_biases(name, in_shape):
    for layer in _layers(build_model(name, in_shape, 10, init="xavier")):
        w = layer.weight.numpy()
        receptive = w[0, 0].size if w.ndim == 4 else 1
        bound = math.sqrt(6.0 / ((w.shape[1] + w.shape[0]) * receptive))
        assert 0.9 * bound < numpy.abs(w).max() <= bound
        numpy.testing.assert_array_equal(layer.bias.numpy(), 0.0)


def test_default_init_keeps_pytorch_biases():
    biases = [layer.bias.numpy() for layer in _layers(build_model("mlp", (64,), 10))]
    assert all(numpy.abs(b).max() > 0 for b in biases)


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(name="rnn"), "model must be one of"), (dict(activation="gelu"), "activation must be"),
    (dict(init="orthogonal"), "init must be one of"), (dict(name="cnn", in_shape=(64,)), "(C, H, W)"),
    (dict(name="cnn", in_shape=(3, 8, 1)), "at least 2x2; got in_shape (3, 8, 1)")])
def test_bad_model_options(kwargs, fragment):
    args = {**dict(name="mlp", in_shape=(64,), num_classes=10), **kwargs}
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        build_model(**args)
