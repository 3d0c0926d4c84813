"""``xpnet.exp(x)`` and friends are the Tensor methods in function form (as ``torch.exp``)."""
import numpy
import pytest

import xpnet
from xpnet.autograd.functions import _METHODS

CALLS = {  # name -> extra arguments
    "exp": (), "log": (), "sqrt": (), "abs": (), "tanh": (), "sigmoid": (),
    "sum": (1,), "mean": (0,), "max": (), "min": (), "argmax": (1,), "argmin": (0,),
    "reshape": ((6,),), "flatten": (), "transpose": (0, 1), "permute": ((1, 0),),
    "unsqueeze": (0,), "squeeze": (), "clip": (0.5, 1.5), "clamp": (0.5, 1.5),
}


def test_every_function_form_is_listed():
    assert set(CALLS) == set(_METHODS)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_function_equals_method_in_value_and_gradient(backend_name, name):
    data = numpy.array([[0.5, 1.2, 2.0], [1.5, 0.7, 0.9]])
    args = CALLS[name]
    a = xpnet.tensor(data, requires_grad=True)
    b = xpnet.tensor(data, requires_grad=True)
    out_f = getattr(xpnet, name)(a, *args)
    out_m = getattr(b, name)(*args)
    numpy.testing.assert_array_equal(out_f.numpy(), out_m.numpy())
    if out_f.requires_grad:
        out_f.sum().backward()
        out_m.sum().backward()
        numpy.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_function_form_accepts_host_data():
    assert xpnet.sum([1.0, 2.0, 3.0]).item() == 6.0
