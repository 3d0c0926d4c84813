"""Regression tests for autograd gaps found by testing the core against PyTorch.

Each block names the gap; expected values are closed forms or NumPy written
here, expected dtypes and messages are PyTorch's (checked against torch 2.13).
"""
import gc
import re
import tracemalloc
import weakref

import numpy
import pytest

import xpnet
from tolerances import assert_close


# ---------------------------------------------------------------------- #
# 1. argmax / argmin with dim on a 0-d tensor: dim 0 or -1, result 0
# ---------------------------------------------------------------------- #
@pytest.mark.parametrize("method", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_arg_extreme_of_0d_tensor(backend_name, method, dim, keepdim):
    out = getattr(xpnet.tensor(-3.5), method)(dim=dim, keepdim=keepdim)
    assert out.shape == () and out.dtype == numpy.int64 and out.item() == 0


@pytest.mark.parametrize("method", ["argmax", "argmin"])
def test_arg_extreme_of_0d_tensor_rejects_other_dims(backend_name, method):
    with pytest.raises(ValueError, match=r"dim must be an int in \[-1, 0\] for a 0-d tensor; got 1"):
        getattr(xpnet.tensor(2.0), method)(dim=1)
    with pytest.raises(TypeError, match=rf"{method}\(dim=...\) must be an int or None; got \(0,\)"):
        getattr(xpnet.tensor([2.0, 1.0]), method)(dim=(0,))


def test_arg_extreme_with_dim_still_matches_numpy(backend_name):
    host = numpy.array([[3.0, -1.0, 7.0], [0.5, 9.0, 2.0]])
    x = xpnet.tensor(host)
    for dim in (0, 1, -1):
        numpy.testing.assert_array_equal(x.argmax(dim=dim).numpy(), host.argmax(axis=dim))
        numpy.testing.assert_array_equal(x.argmin(dim=dim, keepdim=True).numpy(),
                                         host.argmin(axis=dim, keepdims=True))


def test_transpose_of_0d_tensor(backend_name):
    s = xpnet.tensor(2.0, dtype="float64", requires_grad=True)
    y = s.transpose(0, -1)
    assert y.shape == () and y.item() == 2.0
    (y * 3.0).backward()
    assert s.grad.item() == 3.0
    with pytest.raises(ValueError, match="dim1 must be an int in"):
        s.transpose(0, 1)


# ---------------------------------------------------------------------- #
# 2. sum / mean over dim=[] reduce every axis (as PyTorch)
# ---------------------------------------------------------------------- #
@pytest.mark.parametrize("empty", [[], ()], ids=["list", "tuple"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_empty_dim_list_reduces_everything(backend_name, empty, keepdim):
    host = numpy.arange(6.0).reshape(2, 3)  # sum 15, mean 2.5
    x = xpnet.tensor(host, requires_grad=True)
    s, m = x.sum(dim=empty, keepdim=keepdim), x.mean(dim=empty, keepdim=keepdim)
    shape = (1, 1) if keepdim else ()
    assert s.shape == shape and m.shape == shape
    assert s.numpy().item() == 15.0 and m.numpy().item() == 2.5
    (s + m).sum().backward()
    assert_close(x.grad, numpy.full((2, 3), 1.0 + 1.0 / 6))  # d(sum + mean)/dx


def test_explicit_dims_still_reduce_only_those(backend_name):
    host = numpy.arange(24.0).reshape(2, 3, 4)
    x = xpnet.tensor(host)
    assert_close(x.sum(dim=[0, 2]), host.sum(axis=(0, 2)))
    assert_close(x.mean(dim=(1,), keepdim=True), host.mean(axis=1, keepdims=True))


# ---------------------------------------------------------------------- #
# 3. bools and integers meeting floats: PyTorch's promotion on every backend
# ---------------------------------------------------------------------- #
INT = numpy.array([1, 2, -3])
PROMOTION_CASES = [  # (expression, expected dtype, NumPy float64 reference)
    (lambda a, b, f: a + 0.5, "float32", INT + 0.5),
    (lambda a, b, f: 0.5 - a, "float32", 0.5 - INT),
    (lambda a, b, f: a * 1.5, "float32", INT * 1.5),
    (lambda a, b, f: a / 2, "float32", INT / 2),        # true division of ints
    (lambda a, b, f: a / a, "float32", INT / INT),
    (lambda a, b, f: 2 / a, "float32", 2 / INT),
    (lambda a, b, f: a ** 2.0, "float32", INT ** 2.0),
    (lambda a, b, f: 2.0 ** a, "float32", 2.0 ** INT),
    (lambda a, b, f: a + numpy.float64(0.5), "float32", INT + 0.5),  # NumPy scalar: weak
    (lambda a, b, f: a + f, "float32", INT + numpy.array([0.25, 0.5, 0.75])),
    (lambda a, b, f: f * a, "float32", INT * numpy.array([0.25, 0.5, 0.75])),
    (lambda a, b, f: b + 0.5, "float32", numpy.array([1.5, 0.5, 1.5])),
    (lambda a, b, f: b + 2, "int64", numpy.array([3, 2, 3])),
    (lambda a, b, f: a * 2, "int64", INT * 2),          # unchanged within a category
    (lambda a, b, f: a - b, "int64", INT - numpy.array([1, 0, 1])),
]


@pytest.mark.parametrize("case", range(len(PROMOTION_CASES)))
def test_integer_and_float_operands_promote_like_pytorch(backend_name, case):
    expr, dtype, want = PROMOTION_CASES[case]
    a = xpnet.tensor(INT)
    b = xpnet.tensor([True, False, True])
    f = xpnet.tensor([0.25, 0.5, 0.75])  # float32
    out = expr(a, b, f)
    assert out.dtype == numpy.dtype(dtype), f"got {out.dtype}, PyTorch gives {dtype}"
    assert_close(out.numpy().astype(numpy.float64), want.astype(numpy.float64), "float32")


def test_comparison_of_int_tensor_with_float(backend_name):
    out = xpnet.tensor(INT) < 1.5
    numpy.testing.assert_array_equal(out.numpy(), [True, False, True])


def test_promotion_keeps_the_float_operands_gradient(backend_name):
    w = xpnet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (w * xpnet.tensor(INT) + xpnet.tensor(INT) / 2).sum()
    assert loss.dtype == numpy.float32
    loss.backward()
    assert w.grad.dtype == numpy.float32
    numpy.testing.assert_array_equal(w.grad.numpy(), INT)  # d/dw (w * n) = n


def test_mixed_float_widths_still_follow_the_backend(backend_name):
    x32 = xpnet.tensor([1.0, 2.0])
    x64 = xpnet.tensor([1.0, 2.0], dtype="float64")
    assert (x32 + x64).dtype == numpy.float64 and (x32 + 0.5).dtype == numpy.float32
    assert (x64 + 1).dtype == numpy.float64


# ---------------------------------------------------------------------- #
# 4. pad and cat: errors that name the argument, the rule and the value
# ---------------------------------------------------------------------- #
@pytest.mark.parametrize("pad, crop", [((-5, 4), 5), ((-2, -2), 4), ((-4, 5), 4), ((1, -4), 4)])
def test_pad_cropping_more_than_the_axis(backend_name, pad, crop):
    with pytest.raises(ValueError, match=re.escape(f"pad={pad!r}") + rf".*crops of one axis may remove at most "
                                         rf"its length; axis 1 of shape \(2, 3\) has length 3 "
                                         rf"but pad crops {crop}"):
        xpnet.pad(xpnet.ones(2, 3), pad)


def test_pad_crop_to_exactly_empty_is_allowed(backend_name):
    x = xpnet.tensor(numpy.arange(6.0).reshape(2, 3), requires_grad=True)
    y = xpnet.pad(x, (-3, 0))
    assert y.shape == (2, 0)
    z = xpnet.pad(x, (1, -2))  # pad one on the left, crop two on the right
    numpy.testing.assert_array_equal(z.numpy(), [[0.0, 0.0], [0.0, 3.0]])
    z.sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 0], [1, 0, 0]])


@pytest.mark.parametrize("position", [0, 1])
def test_cat_of_0d_tensor(backend_name, position):
    items = [xpnet.ones(2), xpnet.ones(2)]
    items[position] = xpnet.tensor(1.0)
    with pytest.raises(ValueError, match=rf"zero-dimensional tensor \(at position {position}\) "
                                         r"cannot be concatenated"):
        xpnet.cat(items)
    assert xpnet.stack([xpnet.tensor(1.0), xpnet.tensor(2.0)]).shape == (2,)


def test_cat_of_mismatched_shapes(backend_name):
    with pytest.raises(ValueError, match=r"sizes must match except along the concatenation "
                                         r"axis 0; tensor 0 has shape \(2, 2\), tensor 1 has shape \(2, 3\)"):
        xpnet.cat([xpnet.ones(2, 2), xpnet.ones(2, 3)])
    with pytest.raises(ValueError, match="same number of dimensions"):
        xpnet.cat([xpnet.ones(2, 2), xpnet.ones(2)])
    assert xpnet.cat([xpnet.ones(2, 2), xpnet.ones(2, 3)], dim=1).shape == (2, 5)


# ---------------------------------------------------------------------- #
# 5. backward frees the graph unless retain_graph=True (as PyTorch)
# ---------------------------------------------------------------------- #
def test_second_backward_through_a_freed_graph_raises(backend_name):
    x = xpnet.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = (x * x).sum()
    y.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second "
                                           "time.*retain_graph=True"):
        y.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])  # raised before any change
    assert not y.is_leaf  # still a computed tensor, only its saved state is gone


def test_a_new_graph_through_a_freed_node_raises(backend_name):
    x = xpnet.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="a second time"):
        (h * 2.0).sum().backward()
    (h.detach() * 2.0).sum()  # its value is still there to use


def test_retain_graph_allows_another_pass(backend_name):
    x = xpnet.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()  # the last pass may free it
    numpy.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])  # 3 * 2x
    with pytest.raises(RuntimeError, match="a second time"):
        y.backward()


def test_backward_of_a_leaf_can_repeat(backend_name):
    w = xpnet.tensor([1.0, 2.0], requires_grad=True)
    w.backward(numpy.ones(2))
    w.backward(numpy.ones(2))  # no graph to free (as PyTorch)
    numpy.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0])


def test_retain_graph_must_be_a_bool(backend_name):
    y = (xpnet.tensor([1.0], requires_grad=True) * 2).sum()
    with pytest.raises(TypeError, match=r"retain_graph=...\) must be True, False or None; got 1"):
        y.backward(retain_graph=1)
    y.backward()  # nothing was freed by the rejected call


def _graph_with_saved_intermediate(n):
    """``loss = sum(exp(x) * 3)`` where only the graph holds ``exp(x)``'s array."""
    x = xpnet.tensor(numpy.linspace(0.0, 1.0, n), requires_grad=True)
    h = x.exp()
    saved = weakref.ref(h.data)
    return x, (h * 3.0).sum(), saved


@pytest.mark.parametrize("retain", [False, True])
def test_backward_releases_what_the_closures_saved(backend_name, retain):
    x, loss, saved = _graph_with_saved_intermediate(1000)
    loss.backward(retain_graph=retain)
    gc.collect()
    # the user still holds `loss`: PyTorch-style freeing lets the array go anyway
    assert (saved() is not None) == retain
    assert_close(x.grad, 3.0 * numpy.exp(numpy.linspace(0.0, 1.0, 1000)))


def test_backward_frees_graph_memory_while_the_loss_is_held():
    """Measured with tracemalloc (NumPy reports its buffers to it): ten 8 MB
    intermediates stay alive after a retained backward, not after a plain one."""
    n, depth = 1_000_000, 10
    with xpnet.use_backend("numpy"):
        held = {}
        for retain in (True, False):
            x = xpnet.tensor(numpy.full(n, 0.5), requires_grad=True)
            gc.collect()
            tracemalloc.start()
            y = x
            for _ in range(depth):
                y = (y * 1.0001).tanh()
            loss = y.sum()
            loss.backward(retain_graph=retain)
            del y
            gc.collect()
            held[retain] = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            del loss, x
    mb = 8 * n / 1e6  # one float64 intermediate
    assert held[True] > 2 * depth * mb * 1e6 * 0.9  # tanh outputs and products both kept
    assert held[False] < 2 * mb * 1e6  # at most the leaf's .grad and a rounding margin
