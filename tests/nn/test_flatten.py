"""Flatten: shapes as torch.nn.Flatten, gradient is the inverse reshape."""
import numpy
import pytest

import xpnet
from xpnet import nn
from tolerances import GRADCHECK


@pytest.mark.parametrize("start,end,expected", [
    (1, -1, (2, 60)), (0, -1, (120,)), (1, 2, (2, 12, 5)), (2, 3, (2, 3, 20)), (-2, -1, (2, 3, 20)),
    (3, 3, (2, 3, 4, 5)),
])
def test_flatten_shapes(backend_name, start, end, expected):
    host = numpy.arange(120, dtype=numpy.float32).reshape(2, 3, 4, 5)
    y = nn.Flatten(start, end)(xpnet.tensor(host))
    assert y.shape == expected
    numpy.testing.assert_array_equal(y.numpy(), host.reshape(expected))  # C order kept


def test_flatten_gradcheck_non_contiguous(backend_name):
    x = xpnet.tensor(numpy.random.default_rng(0).standard_normal((3, 2, 4)), requires_grad=True)
    assert xpnet.gradcheck(lambda t: nn.Flatten()(t.transpose(0, 2)), [x], **GRADCHECK)


def test_flatten_repr_and_errors(backend_name):
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    with pytest.raises(TypeError, match="start_dim"):
        nn.Flatten(start_dim=1.0)
    with pytest.raises(ValueError, match="start_dim"):
        nn.Flatten(start_dim=5)(xpnet.ones(2, 3))
