"""sum, mean, max, min: the generic record checks plus indices and tie conventions."""
import numpy
import pytest

import xpnet
from op_checks import OpChecks

TIES = numpy.array([[1.0, 3.0, 3.0, -1.0], [-2.0, -2.0, 0.5, -2.0]])


class TestReduceRecords(OpChecks):
    family = "reduce"


@pytest.mark.parametrize("largest", [True, False], ids=["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_indices_match_numpy_arg(backend_name, largest, keepdim, dim):
    x = numpy.random.default_rng(3).standard_normal((3, 4))
    values, indices = (xpnet.tensor(x).max if largest else xpnet.tensor(x).min)(dim, keepdim)
    arg = (numpy.argmax if largest else numpy.argmin)(x, axis=dim, keepdims=keepdim)
    assert indices.dtype == numpy.int64
    numpy.testing.assert_array_equal(indices.numpy(), arg)
    assert values.shape == arg.shape


@pytest.mark.parametrize("largest", [True, False], ids=["max", "min"])
@pytest.mark.parametrize("dim", [None, 1])
def test_tie_gradients_follow_pytorch(backend_name, largest, dim):
    """Without dim the gradient is shared equally among tied extremes; with dim it all
    goes to the returned index (the first), as ``torch.max``/``torch.min``."""
    torch = pytest.importorskip("torch")
    data = TIES if largest else -TIES
    x = xpnet.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    if dim is None:
        y, ty = (x.max() if largest else x.min()), (tx.max() if largest else tx.min())
        y.backward()
        ty.backward()
    else:
        y = (x.max(dim) if largest else x.min(dim)).values
        ty = (tx.max(dim) if largest else tx.min(dim)).values
        w = numpy.array([1.5, -0.5])
        (y * xpnet.tensor(w)).sum().backward()
        (ty * torch.tensor(w)).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_argmax_argmin(backend_name):
    x = xpnet.tensor(numpy.array([[1.0, 7.0, 5.0], [7.0, -1.0, 0.0]]))
    assert x.argmax().item() == 1  # over the flattened tensor; the first of a tie
    numpy.testing.assert_array_equal(x.argmax(1).numpy(), [1, 0])
    numpy.testing.assert_array_equal(x.argmin(0, keepdim=True).numpy(), [[0, 1, 1]])


def test_sum_of_float32_stays_float32_and_mean_divides_by_count(backend_name):
    x = xpnet.ones(4, 5)
    assert x.sum().dtype == numpy.float32
    assert x.sum(1).numpy().tolist() == [5.0] * 4
    g = xpnet.ones(4, 5, requires_grad=True)
    g.mean(dim=(0, 1)).backward()
    numpy.testing.assert_array_equal(g.grad.numpy(), numpy.full((4, 5), 1 / 20, numpy.float32))
