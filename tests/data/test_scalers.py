"""StandardScaler and MinMaxScaler against closed forms and scikit-learn."""
import numpy
import pytest

import xpnet
from tolerances import assert_close, tol
from xpnet.data import MinMaxScaler, StandardScaler

sk = pytest.importorskip("sklearn.preprocessing")


@pytest.fixture
def X():
    rng = numpy.random.default_rng(0)
    return rng.standard_normal((40, 5)) * [1.0, 10.0, 0.01, 3.0, 100.0] + [0.0, -5.0, 2.0, 1e3, 7.0]


def loop_mean_var(X):
    """Per-column mean and population variance with explicit Python loops."""
    n, d = X.shape
    mean = [sum(X[i, j] for i in range(n)) / n for j in range(d)]
    var = [sum((X[i, j] - mean[j]) ** 2 for i in range(n)) / n for j in range(d)]
    return numpy.array(mean), numpy.array(var)


def test_standard_scaler_matches_closed_form_and_sklearn(X):
    sc = StandardScaler().fit(X)
    mean, var = loop_mean_var(X)
    assert_close(sc.mean_, mean)
    assert_close(sc.var_, var)
    assert_close(sc.scale_, numpy.sqrt(var))
    Z = sc.transform(X)
    assert_close(Z, (X - mean) / numpy.sqrt(var))
    assert_close(Z.mean(0), numpy.zeros(5))
    assert_close(Z.std(0), numpy.ones(5))
    ref = sk.StandardScaler().fit(X)
    assert_close(Z, ref.transform(X))
    assert sc.n_samples_seen_ == 40


@pytest.mark.parametrize("with_mean, with_std", [(False, True), (True, False), (False, False)])
def test_standard_scaler_options(X, with_mean, with_std):
    sc = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    ref = sk.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    assert_close(sc.transform(X), ref.transform(X))
    assert (sc.mean_ is None) == (not with_mean) and (sc.scale_ is None) == (not with_std)
    assert_close(sc.inverse_transform(sc.transform(X)), X)


def test_minmax_scaler_matches_closed_form_and_sklearn(X):
    lo, hi = -1.0, 3.0
    sc = MinMaxScaler(feature_range=(lo, hi)).fit(X)
    Z = sc.transform(X)
    assert_close(Z, lo + (X - X.min(0)) * (hi - lo) / (X.max(0) - X.min(0)))
    assert_close(Z.min(0), numpy.full(5, lo))
    assert_close(Z.max(0), numpy.full(5, hi))
    ref = sk.MinMaxScaler(feature_range=(lo, hi)).fit(X)
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        assert_close(getattr(sc, name), getattr(ref, name))
    assert_close(Z, ref.transform(X))
    # outside the training range: no clipping, same affine map
    assert_close(sc.transform(X * 2), ref.transform(X * 2))


@pytest.mark.parametrize("make", [StandardScaler, MinMaxScaler])
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_round_trip_and_dtype_kept(X, make, dtype):
    Xd = X.astype(dtype)
    sc = make().fit(Xd)
    Z = sc.transform(Xd)
    assert Z.dtype == dtype and isinstance(Z, numpy.ndarray)
    back = sc.inverse_transform(Z)
    assert back.dtype == dtype
    # relative to each column's spread (the map divides by it)
    numpy.testing.assert_allclose((back - Xd) / X.std(0), 0, atol=tol(dtype)["rtol"])


def test_large_offset_float32_is_accurate():
    """mean 1000, std 0.1 in float32: E[x^2]-E[x]^2 would lose everything (REFERENCE.md)."""
    rng = numpy.random.default_rng(1)
    X = (1000 + 0.1 * rng.standard_normal((1000, 3))).astype(numpy.float32)
    Z = StandardScaler().fit_transform(X)
    # float32 x - mean loses ~ulp(1000)/0.1 = 6e-5/0.1 relative per element
    numpy.testing.assert_allclose(Z.astype(numpy.float64).std(0), 1.0, rtol=1e-3)
    numpy.testing.assert_allclose(Z.astype(numpy.float64).mean(0), 0.0, atol=1e-3)


def test_constant_features_get_scale_one():
    X = numpy.array([[1.0, 5.0, 0.0], [2.0, 5.0, 0.0], [4.0, 5.0, 0.0]])
    st = StandardScaler().fit(X)
    assert st.scale_[1] == 1.0 and st.scale_[2] == 1.0
    numpy.testing.assert_array_equal(st.transform(X)[:, 1:], 0.0)
    assert_close(st.transform(X), sk.StandardScaler().fit_transform(X))
    mm = MinMaxScaler(feature_range=(2, 3)).fit(X)
    numpy.testing.assert_array_equal(mm.transform(X)[:, 1:], 2.0)
    assert_close(mm.transform(X), sk.MinMaxScaler(feature_range=(2, 3)).fit_transform(X))
    assert_close(mm.inverse_transform(mm.transform(X)), X)


def test_integer_numpy_input_becomes_float64():
    X = numpy.array([[0, 2], [4, 6]])
    Z = StandardScaler().fit_transform(X)
    assert Z.dtype == numpy.float64
    numpy.testing.assert_array_equal(Z, [[-1, -1], [1, 1]])


def test_image_shaped_input_scales_per_pixel():
    X = numpy.random.default_rng(2).random((10, 1, 3, 3))
    Z = MinMaxScaler().fit_transform(X)
    assert Z.shape == X.shape
    assert_close(Z.reshape(10, 9), MinMaxScaler().fit_transform(X.reshape(10, 9)))


@pytest.mark.parametrize("make", [StandardScaler, MinMaxScaler])
def test_tensor_in_tensor_out_on_its_backend(backend_name, X, make):
    Xt = xpnet.tensor(X.astype(numpy.float32))
    sc = make().fit(Xt)
    Z = sc.transform(Xt)
    assert isinstance(Z, xpnet.Tensor)
    assert Z.backend.name == backend_name and Z.dtype == numpy.float32
    assert_close(Z.numpy(), make().fit(X.astype(numpy.float32)).transform(
        X.astype(numpy.float32)))
    assert_close(sc.inverse_transform(Z).numpy(), X.astype(numpy.float32), numpy.float32)
    Zi = make().fit_transform(xpnet.tensor([[0, 1], [2, 3]]))  # int64 tensor -> float32
    assert Zi.dtype == numpy.float32


@pytest.mark.parametrize("make, kwargs", [(StandardScaler, dict(with_mean=False)),
                                          (MinMaxScaler, dict(feature_range=(-2, 2)))])
def test_state_dict_round_trip(X, make, kwargs):
    sc = make(**kwargs).fit(X)
    state = sc.state_dict()
    fresh = make().load_state_dict(state)
    numpy.testing.assert_array_equal(fresh.transform(X), sc.transform(X))
    assert fresh._config() == sc._config()
    # the state is a copy: changing it does not change the fitted scaler
    for v in state.values():
        if isinstance(v, numpy.ndarray):
            v += 1
    numpy.testing.assert_array_equal(fresh.transform(X), sc.transform(X))


def test_load_state_dict_rejects_bad_state_before_changing_anything(X):
    sc = StandardScaler().fit(X)
    target = StandardScaler().fit(X[:, :2])
    before = target.transform(X[:, :2])
    bad = sc.state_dict()
    bad["scale_"] = numpy.ones(4)
    bad["var_"] = numpy.ones((5, 1))
    with pytest.raises(ValueError, match=r"state\['var_'\] has shape \(5, 1\), state\['scale_'\] has shape "
                                         r"\(4,\); the statistics must have shape feature_shape_ = \(5,\)"):
        target.load_state_dict(bad)
    with pytest.raises(ValueError, match=r"state has missing keys \['feature_shape_', .*'with_std'\] "
                                         r"and unexpected keys \['typo'\]; it must have exactly"):
        target.load_state_dict({"mean_": 0, "typo": 1})
    bad = sc.state_dict()
    bad["mean_"][0], bad["scale_"][1], bad["n_samples_seen_"] = numpy.nan, 0.0, -3
    with pytest.raises(ValueError, match=r"state\['mean_'\] holds NaN or inf; state\['scale_'\] "
                                         r"holds zeros .*; state\['n_samples_seen_'\] is -3"):
        target.load_state_dict(bad)
    numpy.testing.assert_array_equal(target.transform(X[:, :2]), before)


@pytest.mark.parametrize("make", [StandardScaler, MinMaxScaler])
def test_use_before_fit(make):
    sc = make()
    for call in (lambda: sc.transform(numpy.zeros((2, 2))),
                 lambda: sc.inverse_transform(numpy.zeros((2, 2))),
                 sc.state_dict):
        with pytest.raises(ValueError, match="not fitted yet; call fit"):
            call()


def test_bad_inputs(X):
    sc = StandardScaler().fit(X)
    with pytest.raises(ValueError, match=r"feature shape \(5,\).*got X of shape \(3, 4\)"):
        sc.transform(numpy.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"ndim >= 2; got shape \(5,\)"):
        StandardScaler().fit(numpy.zeros(5))
    with pytest.raises(ValueError, match="finite; got 1 NaN"):
        StandardScaler().fit(numpy.array([[1.0], [numpy.nan]]))
    with pytest.raises(ValueError, match="at least one sample"):
        MinMaxScaler().fit(numpy.zeros((0, 3)))
    with pytest.raises(TypeError, match="X must be real numeric; got dtype <U1"):
        MinMaxScaler().fit(numpy.array([["a"]]))
    with pytest.raises(TypeError, match="with_std=...\\) must be a bool; got 1"):
        StandardScaler(with_std=1)
    for fr in [(1, 0), (0, 0), (0, float("inf")), (0,), "ab"]:
        with pytest.raises(ValueError, match=r"feature_range=\(lo, hi\)\) needs"):
            MinMaxScaler(feature_range=fr)
