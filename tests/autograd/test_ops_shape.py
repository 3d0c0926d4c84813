"""reshape ... pad: the generic record checks plus the scatter behaviour of indexing."""
import numpy
import pytest

import xpnet
from op_checks import OpChecks


class TestShapeRecords(OpChecks):
    family = "shape"


def test_repeated_integer_index_accumulates_gradient(backend_name):
    # closed form: d sum(x[idx]) / dx[i] = number of times i occurs in idx
    x = xpnet.tensor(numpy.zeros((4, 2)), requires_grad=True)
    idx = xpnet.tensor(numpy.array([3, 0, 3, 3, -1]))
    x[idx].sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy()[:, 0], [1.0, 0.0, 0.0, 4.0])


def test_boolean_mask_gradient_is_the_mask(backend_name):
    mask = numpy.array([[True, False, True], [False, False, True]])
    x = xpnet.tensor(numpy.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x[xpnet.tensor(mask)]
    numpy.testing.assert_array_equal(y.numpy(), [0.0, 2.0, 5.0])
    y.sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), mask.astype(float))


def test_views_do_not_alias_gradients_of_their_base(backend_name):
    # reshape/transpose backward return views of g; each leaf must still own its .grad
    x = xpnet.tensor(numpy.ones((2, 3)), requires_grad=True)
    y = xpnet.tensor(numpy.ones((3, 2)), requires_grad=True)
    (x.transpose(0, 1) + y).sum().backward()
    before = y.grad.numpy()
    x.grad.data[...] = 7.0  # in-place on one leaf's grad (as optimizers may do)
    numpy.testing.assert_array_equal(y.grad.numpy(), before)


def test_pad_crop_round_trip(backend_name):
    x = xpnet.tensor(numpy.arange(12.0).reshape(3, 4))
    back = xpnet.pad(xpnet.pad(x, (2, 1, 1, 0)), (-2, -1, -1, 0))
    numpy.testing.assert_array_equal(back.numpy(), x.numpy())


def test_reshape_accepts_a_tuple_or_ints(backend_name):
    x = xpnet.zeros(2, 6)
    assert x.reshape((3, 4)).shape == x.reshape(3, 4).shape == (3, 4)
    assert x.view(-1).shape == (12,)
    assert x.T.shape == (6, 2)


def test_strided_layout_is_really_non_contiguous():
    # guards the generic checks: "strided" inputs must not be silently contiguous
    from op_records import strided_array
    be = xpnet.get_backend("numpy")
    for host in (numpy.arange(12.0).reshape(3, 4), numpy.arange(5.0)):
        a = strided_array(be, host)
        assert not a.flags.c_contiguous
        numpy.testing.assert_array_equal(a, host)


def test_every_differentiable_op_has_a_record():
    from op_records import RECORDS
    required = {"add", "sub", "mul", "div", "pow", "neg", "matmul", "sum", "mean", "max", "min",
                "reshape", "transpose", "permute", "flatten", "unsqueeze", "squeeze", "getitem",
                "cat", "stack", "pad", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "clip",
                "where", "maximum", "minimum", "astype_float32", "astype_float64"}
    names = {r.name for r in RECORDS}
    assert required <= names, sorted(required - names)
    for r in RECORDS:
        if r.name == "astype_float32":  # rounds away the finite differences; its cast-back
            continue                     # gradient is test_ops_unary::test_astype_gradient...
        assert any(s.gradcheck for s in r.samples), f"{r.name} has no gradchecked sample"


@pytest.mark.parametrize("dims", [(1, -1), (0, 1), (-2, 0)])
def test_flatten_of_a_0d_tensor_checks_its_dims(backend_name, dims):
    """As torch: a 0-d tensor has axes -1 and 0 only; flatten(0-d) with them is shape (1,)."""
    x = xpnet.tensor(3.0)
    with pytest.raises(ValueError, match="start_dim|end_dim"):
        x.flatten(*dims)
    assert x.flatten(0, -1).shape == (1,) and x.flatten(-1, 0).shape == (1,)
