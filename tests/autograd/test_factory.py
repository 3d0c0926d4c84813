"""zeros, ones, full, *_like, arange, rand, randn, manual_seed."""
import numpy
import pytest

import xpnet


@pytest.mark.parametrize("make, value", [(xpnet.zeros, 0.0), (xpnet.ones, 1.0)])
def test_zeros_ones(backend_name, make, value):
    for t in (make(2, 3), make((2, 3)), make([2, 3])):
        assert t.shape == (2, 3) and t.dtype == numpy.float32 and t.backend.name == backend_name
        assert (t.numpy() == value).all()
    assert make(4, dtype=xpnet.float64).dtype == numpy.float64
    assert make(4, dtype="int64").dtype == numpy.int64
    assert make().shape == ()
    assert make(3, requires_grad=True).requires_grad


def test_full_and_like(backend_name):
    t = xpnet.full((2, 2), 1.5, dtype=xpnet.float64)
    assert t.dtype == numpy.float64 and t.numpy().tolist() == [[1.5, 1.5], [1.5, 1.5]]
    assert xpnet.full(3, 2.0).shape == (3,)
    src = xpnet.tensor(numpy.arange(6, dtype=numpy.float64).reshape(2, 3))
    for like, value in ((xpnet.zeros_like, 0.0), (xpnet.ones_like, 1.0)):
        out = like(src)
        assert out.shape == src.shape and out.dtype == src.dtype and out.backend is src.backend
        assert (out.numpy() == value).all()


def test_arange_matches_numpy(backend_name):
    assert xpnet.arange(5).dtype == numpy.int64
    numpy.testing.assert_array_equal(xpnet.arange(5).numpy(), numpy.arange(5))
    numpy.testing.assert_array_equal(xpnet.arange(2, 11, 3).numpy(), [2, 5, 8])
    f = xpnet.arange(0, 1, 0.25)
    assert f.dtype == numpy.float32
    numpy.testing.assert_array_equal(f.numpy(), [0.0, 0.25, 0.5, 0.75])


def test_random_constructors_are_seeded_and_backend_independent():
    values = {}
    for name in ("numpy", "array_api_strict"):
        xpnet.manual_seed(123)
        values[name] = (xpnet.rand(3, 4, backend=name).numpy(),
                        xpnet.randn(5, dtype=xpnet.float64, backend=name).numpy())
    for a, b in zip(values["numpy"], values["array_api_strict"]):
        numpy.testing.assert_array_equal(a, b)  # bit-identical: drawn on the host
    u, n = values["numpy"]
    assert u.dtype == numpy.float32 and ((u >= 0) & (u < 1)).all()
    assert n.dtype == numpy.float64
    # the reference: the same seed with NumPy's generator directly
    rng = numpy.random.default_rng(123)
    numpy.testing.assert_array_equal(u, rng.random((3, 4)).astype(numpy.float32))
    numpy.testing.assert_array_equal(n, rng.standard_normal(5))


@pytest.mark.parametrize("bad", [(-1, 2), (2.5,), (True,)])
def test_bad_sizes_raise(bad):
    with pytest.raises(ValueError, match="size"):
        xpnet.zeros(*bad)


def test_int_factory_cannot_require_grad():
    with pytest.raises(TypeError, match="floating"):
        xpnet.zeros(2, dtype="int64", requires_grad=True)
