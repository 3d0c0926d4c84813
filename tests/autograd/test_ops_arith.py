"""add, sub, mul, div, pow, neg, matmul: the generic record checks plus their conventions."""
import numpy
import pytest

import xpnet
from op_checks import OpChecks


class TestArithRecords(OpChecks):
    family = "arith"


def test_same_tensor_on_both_sides_gets_both_gradients(backend_name):
    # d(x*x)/dx = 2x: the engine must add the two paths, not keep the last one
    x = xpnet.tensor(numpy.array([1.0, -2.0, 3.0]), requires_grad=True)
    (x * x).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [2.0, -4.0, 6.0])


def test_pow_exponent_gradient_is_zero_where_base_is_not_positive(backend_name):
    # d(a**b)/db = a**b log a is undefined for a <= 0; PyTorch-style convention: 0 there
    a = xpnet.tensor(numpy.array([-2.0, 0.0, 2.0]))
    b = xpnet.tensor(numpy.array([2.0, 2.0, 2.0]), requires_grad=True)
    (a ** b).sum().backward()
    numpy.testing.assert_allclose(b.grad.numpy(), [0.0, 0.0, 4.0 * numpy.log(2.0)], rtol=1e-12)


def test_pow_zero_exponent_has_zero_gradient_at_zero(backend_name):
    # x**0 == 1 everywhere; its gradient is 0, not 0 * 0**-1 = nan
    x = xpnet.tensor(numpy.array([0.0, 3.0]), requires_grad=True)
    (x ** 0).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


@pytest.mark.parametrize("op", ["add", "mul", "matmul"])
def test_mixing_backends_raises_type_error_naming_both(op):
    a = xpnet.tensor(numpy.ones((2, 2)), backend="numpy")
    b = xpnet.tensor(numpy.ones((2, 2)), backend="array_api_strict")
    fn = {"add": lambda: a + b, "mul": lambda: b * a, "matmul": lambda: a @ b}[op]
    with pytest.raises(TypeError, match="numpy") as info:
        fn()
    assert "array_api_strict" in str(info.value)
