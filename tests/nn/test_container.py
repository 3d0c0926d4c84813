"""Sequential and ModuleList: composition, indexing, naming, mutation."""
from collections import OrderedDict

import numpy
import pytest

import xpnet
from xpnet import nn
from tolerances import assert_close


def test_sequential_composes_in_order(backend_name):
    l1, act, l2 = nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)
    seq = nn.Sequential(l1, act, l2)
    x = xpnet.randn(5, 3)
    assert_close(seq(x), l2(act(l1(x))).numpy())
    assert len(seq) == 3 and list(seq) == [l1, act, l2]
    assert seq[0] is l1 and seq[-1] is l2 and seq[-3] is l1


def test_sequential_slicing_and_names(backend_name):
    seq = nn.Sequential(OrderedDict([("fc", nn.Linear(3, 4)), ("act", nn.ReLU()),
                                     ("out", nn.Linear(4, 1))]))
    assert [n for n, _ in seq.named_parameters()] == ["fc.weight", "fc.bias", "out.weight",
                                                      "out.bias"]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    assert list(head._modules) == ["fc", "act"]
    assert seq.fc is seq[0]
    x = xpnet.randn(2, 3)
    assert_close(seq[1:](seq[0](x)), seq(x).numpy())


def test_sequential_mutation(backend_name):
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    seq = nn.Sequential(a, b)
    seq.append(c)
    assert list(seq) == [a, b, c] and list(seq._modules) == ["0", "1", "2"]
    del seq[0]
    assert list(seq) == [b, c] and list(seq._modules) == ["0", "1"]  # renumbered
    seq[1] = a
    assert list(seq) == [b, a]
    x = xpnet.tensor([-1.0, 2.0])
    assert_close(seq(x), numpy.maximum(numpy.tanh([-1.0, 2.0]), 0))


def test_sequential_errors(backend_name):
    seq = nn.Sequential(nn.ReLU())
    with pytest.raises(IndexError, match="index 1 is out of range for Sequential of length 1"):
        seq[1]
    with pytest.raises(TypeError, match="ints or slices"):
        seq["0"]
    with pytest.raises(TypeError, match="argument 1 is a function, not a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_empty_sequential_is_identity(backend_name):
    x = xpnet.ones(2)
    assert nn.Sequential()(x) is x


def test_module_list(backend_name):
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    layers.append(nn.Linear(2, 3))
    layers.extend([nn.ReLU()])
    layers += [nn.Tanh()]
    layers.insert(0, nn.Identity())
    assert len(layers) == 6
    assert [type(m).__name__ for m in layers] == ["Identity", "Linear", "Linear", "Linear",
                                                  "ReLU", "Tanh"]
    assert list(layers._modules) == [str(i) for i in range(6)]
    assert [n for n, _ in layers.named_parameters()][:2] == ["1.weight", "1.bias"]
    assert len(list(layers.parameters())) == 6
    assert isinstance(layers[1:3], nn.ModuleList) and layers[1:3][0] is layers[1]
    assert layers[-1] is layers[5]
    with pytest.raises(NotImplementedError):
        layers(xpnet.ones(2))
    with pytest.raises(TypeError, match="Module"):
        layers.insert(0, "relu")
    with pytest.raises(IndexError, match="ModuleList of length 6"):
        layers[6]


def test_module_list_inside_a_model_is_trained(backend_name):
    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 1)])

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            return x

    tower = Tower()
    tower(xpnet.randn(4, 3)).sum().backward()
    assert [n for n, p in tower.named_parameters() if p.grad is not None] == [
        "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"]
