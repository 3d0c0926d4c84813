"""The Tensor API: construction and dtype rules, backward and .grad, conversion, operators, graphs."""
import numpy
import pytest

import xpnet


# ---------------------------------------------------------------------- #
# construction
# ---------------------------------------------------------------------- #
@pytest.mark.parametrize("data, dtype", [
    (numpy.zeros(3, numpy.float64), "float64"),   # a NumPy array keeps its dtype
    (numpy.zeros(3, numpy.float32), "float32"),
    (numpy.zeros(3, numpy.int32), "int32"),
    (numpy.float64(1.5), "float64"),
    (1.5, "float32"),                             # Python floats -> float32 (as PyTorch)
    ([[1.0, 2.0], [3.0, 4.0]], "float32"),
    (3, "int64"),                                 # Python ints -> int64
    ([1, 2, 3], "int64"),
    ([True, False], "bool"),
])
def test_tensor_dtype_rules(backend_name, data, dtype):
    t = xpnet.tensor(data)
    assert t.dtype == numpy.dtype(dtype)
    assert isinstance(t.dtype, numpy.dtype)
    assert t.backend.name == backend_name
    numpy.testing.assert_array_equal(t.numpy(), numpy.asarray(data))


def test_tensor_explicit_dtype_converts_exact_python_values(backend_name):
    # 0.1 must not be rounded to float32 on its way to float64
    assert xpnet.tensor(0.1, dtype=xpnet.float64).item() == 0.1
    assert xpnet.tensor([1, 2], dtype="float32").dtype == numpy.float32
    with pytest.raises(TypeError, match="dtype"):
        xpnet.tensor([1.0], dtype="not-a-dtype")


def test_tensor_rejects_non_numbers():
    with pytest.raises(TypeError, match="numbers"):
        xpnet.tensor(["a", "b"])


def test_tensor_copies_its_data(backend_name):
    host = numpy.array([1.0, 2.0])
    t = xpnet.tensor(host)
    host[0] = 99.0
    assert t.numpy()[0] == 1.0
    u = xpnet.tensor(t)
    u.data = u.backend.xp.zeros_like(u.data)  # .data is assignable and replaces values
    assert t.numpy().tolist() == [1.0, 2.0] and u.numpy().tolist() == [0.0, 0.0]


def test_requires_grad_on_int_tensor_is_a_type_error(backend_name):
    with pytest.raises(TypeError, match="floating"):
        xpnet.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="int64"):
        xpnet.tensor([1, 2]).requires_grad_()


def test_properties(backend_name):
    t = xpnet.zeros(2, 3, 4)
    assert (t.shape, t.ndim, t.size(), t.size(1), t.size(-1), t.numel(), t.dim(), len(t)) == \
        ((2, 3, 4), 3, (2, 3, 4), 3, 4, 24, 3, 2)
    assert t.is_leaf and not t.requires_grad and t.grad is None
    assert [s.shape for s in t] == [(3, 4), (3, 4)]
    r = repr(xpnet.tensor([1.0], requires_grad=True))
    assert backend_name in r and "requires_grad=True" in r and "float32" in r


# ---------------------------------------------------------------------- #
# backward and .grad
# ---------------------------------------------------------------------- #
def test_grad_accumulates_across_backward_calls(backend_name):
    x = xpnet.tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    y = (x * 3.0).sum()
    y.backward(retain_graph=True)  # kept for a second pass (as PyTorch, else freed)
    y.backward()  # the same graph twice adds up
    (x * x).sum().backward()  # and another graph adds 2x
    numpy.testing.assert_array_equal(x.grad.numpy(), [6.0 + 2.0, 6.0 + 4.0])


def test_backward_on_non_scalar_needs_grad(backend_name):
    x = xpnet.tensor(numpy.ones(3), requires_grad=True)
    y = x * 2.0
    with pytest.raises(ValueError, match=r"one-element.*\(3,\)"):
        y.backward()
    with pytest.raises(ValueError, match="shape"):
        y.backward(numpy.ones(4))
    assert x.grad is None  # nothing ran
    y.backward(numpy.array([1.0, 0.0, -1.0]))
    numpy.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, -2.0])


def test_backward_on_tensor_without_grad_raises(backend_name):
    with pytest.raises(RuntimeError, match="does not require grad"):
        xpnet.tensor([1.0]).sum().backward()


def test_each_leaf_owns_a_writable_grad(backend_name):
    a = xpnet.tensor(numpy.ones(3), requires_grad=True)
    b = xpnet.tensor(numpy.ones(3), requires_grad=True)
    (a + b).sum().backward()  # one broadcast gradient array reaches both leaves
    a.grad.data[...] = 5.0
    numpy.testing.assert_array_equal(b.grad.numpy(), numpy.ones(3))


def test_diamond_graph_sums_both_paths(backend_name):
    # x -> y = 2x -> z = y*y + exp(y): dz/dx = 2 (2y + exp(y))
    x = xpnet.tensor(numpy.array([0.5, -1.0]), requires_grad=True)
    y = x * 2.0
    z = y * y + y.exp()
    z.sum().backward()
    yh = 2 * numpy.array([0.5, -1.0])
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * (2 * yh + numpy.exp(yh)), rtol=1e-14)


def test_deep_chain_does_not_hit_the_recursion_limit():
    import sys
    depth = 10_000
    assert depth > sys.getrecursionlimit()
    x = xpnet.tensor(numpy.array([1.0]), requires_grad=True)
    y = x
    for _ in range(depth):
        y = y + 1.0
    y.sum().backward()
    assert x.grad.numpy().tolist() == [1.0]
    assert y.item() == depth + 1
    del y  # freeing the chain must not recurse either


def test_detach_stops_the_gradient_and_shares_data(backend_name):
    x = xpnet.tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.data is x.data
    (d * x).sum().backward()  # only the non-detached factor is differentiated
    numpy.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])


def test_item_numpy_and_conversions(backend_name):
    t = xpnet.tensor([[2.5]])
    assert t.item() == 2.5 and isinstance(t.item(), float)
    assert float(t) == 2.5 and int(xpnet.tensor(7)) == 7 and bool(xpnet.tensor(1.0))
    with pytest.raises(ValueError, match="one-element"):
        xpnet.tensor([1.0, 2.0]).item()
    v = xpnet.tensor([1.0, 2.0])
    host = v.numpy()
    assert isinstance(host, numpy.ndarray)
    host[0] = 42.0  # a copy: the tensor is unchanged
    assert v.numpy()[0] == 1.0
    assert v.tolist() == [1.0, 2.0]


def test_to_backend_and_dtype(backend_name):
    x = xpnet.tensor(numpy.array([1.0, 2.0], numpy.float32), requires_grad=True)
    assert x.to(backend_name) is x
    other = "array_api_strict" if backend_name == "numpy" else "numpy"
    moved = x.to(other)
    assert moved.backend.name == other and moved.requires_grad and moved.is_leaf
    numpy.testing.assert_array_equal(moved.numpy(), x.numpy())
    assert x.to(xpnet.float64).dtype == numpy.float64
    assert x.to("float64").dtype == numpy.float64
    assert x.double().dtype == numpy.float64 and x.float() is x
    assert xpnet.tensor([1.5, 2.5]).long().numpy().tolist() == [1, 2]
    with pytest.raises(ValueError, match="backend name"):
        x.to("nonsense")


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparisons(backend_name, op):
    a_host, b_host = numpy.array([1.0, 2.0, 3.0]), numpy.array([3.0, 2.0, 1.0])
    a = xpnet.tensor(a_host, requires_grad=True)
    cmp = eval(f"lambda p, q: p {op} q")
    for other, other_host in ((xpnet.tensor(b_host), b_host), (2.0, 2.0)):
        out = cmp(a, other)
        assert out.dtype == numpy.bool_ and not out.requires_grad
        numpy.testing.assert_array_equal(out.numpy(), cmp(a_host, other_host))


def test_numpy_array_on_the_left_gives_a_tensor(backend_name):
    w = xpnet.tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    y = numpy.array([3.0, 4.0]) * w
    assert isinstance(y, xpnet.Tensor)
    y.sum().backward()
    numpy.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0])


def test_mixing_backends_raises_type_error_naming_both():
    a = xpnet.tensor([1.0], backend="numpy")
    b = xpnet.tensor([1.0], backend="array_api_strict")
    for fn in (lambda: a - b, lambda: xpnet.cat([a, b]), lambda: xpnet.where(a > 0.0, a, b)):
        with pytest.raises(TypeError, match=r"'numpy' and 'array_api_strict'"):
            fn()


def test_tensor_rejects_foreign_raw_arrays():
    with pytest.raises(TypeError, match="array_api_strict"):
        xpnet.Tensor(numpy.zeros(2), xpnet.get_backend("array_api_strict"))


def test_numpy_scalars_are_weak_like_python_scalars(backend_name):
    # as PyTorch: x / numpy.sqrt(n) must not silently turn float32 activations into float64
    x = xpnet.tensor(numpy.array([1.0, 4.0], numpy.float32), requires_grad=True)
    for y in (x * numpy.float64(2.0), numpy.float64(2.0) * x, x / numpy.sqrt(4), x + numpy.int64(1)):
        assert y.dtype == numpy.float32
    (x ** numpy.float64(2.0)).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [2.0, 8.0])
