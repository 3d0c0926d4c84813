"""nn.init: gains, fans, distributions (with justified statistical bounds), in-place semantics.

Statistical bounds: for n i.i.d. samples with standard deviation s the sample
mean has standard error s/sqrt(n); the sample variance has relative standard
error sqrt((kurtosis - 1)/n): sqrt(2/n) for a normal, sqrt(0.8/n) for a
uniform.  Tests allow 5 standard errors (a correct sampler fails with
probability < 1e-6; the seed is fixed anyway), far below the factor-of-sqrt(2)
or sqrt(3) slips (wrong gain, wrong fan, bound vs std) they must catch.
"""
import math

import numpy
import pytest

import xpnet
from xpnet.nn import init

N_OUT, N_IN = 400, 300  # 120,000 samples


def _stats_ok(values, mean, std, kurtosis):
    v = values.astype(numpy.float64).ravel()
    n = v.size
    assert abs(v.mean() - mean) < 5 * std / math.sqrt(n), (v.mean(), mean)
    assert abs(v.var() / std ** 2 - 1) < 5 * math.sqrt((kurtosis - 1) / n), (v.std(), std)


def _uniform_ok(values, bound):
    assert numpy.abs(values).max() <= bound * (1 + 1e-7)  # float32 rounding of the bound
    assert numpy.abs(values).max() > bound * 0.999
    _stats_ok(values, 0.0, bound / math.sqrt(3), 1.8)


def _normal_ok(values, std, mean=0.0):
    _stats_ok(values, mean, std, 3.0)


GAINS = {  # PyTorch's documented table (torch.nn.init.calculate_gain)
    ("linear", None): 1.0, ("conv1d", None): 1.0, ("conv2d", None): 1.0, ("conv3d", None): 1.0,
    ("conv_transpose1d", None): 1.0, ("conv_transpose2d", None): 1.0,
    ("conv_transpose3d", None): 1.0, ("sigmoid", None): 1.0, ("tanh", None): 5 / 3,
    ("relu", None): math.sqrt(2), ("leaky_relu", None): math.sqrt(2 / (1 + 0.01 ** 2)),
    ("leaky_relu", 0.2): math.sqrt(2 / 1.04), ("leaky_relu", 0): math.sqrt(2),
    ("leaky_relu", math.sqrt(5)): math.sqrt(1 / 3), ("selu", None): 0.75,
}


@pytest.mark.parametrize("nonlinearity,param", sorted(GAINS, key=str))
def test_calculate_gain_table(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(GAINS[nonlinearity, param],
                                                                     rel=1e-15)


def test_calculate_gain_against_torch():
    torch = pytest.importorskip("torch")
    for (name, param), _ in GAINS.items():
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param), rel=1e-15)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative slope.*'a'"):
        init.calculate_gain("leaky_relu", "a")
    with pytest.raises(ValueError, match="got True"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape,fans", [
    ((5, 3), (3, 5)), ((64, 32, 3, 3), (288, 576)), ((8, 4, 5), (20, 40)), ((2, 3, 1, 1), (3, 2)),
    ((6, 2, 2, 3, 4), (48, 144)),
])
def test_fans(shape, fans):
    assert init._calculate_fan_in_and_fan_out(xpnet.zeros(*shape)) == fans


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match=r"fewer than 2 dimensions; got shape \(7,\)"):
        init._calculate_fan_in_and_fan_out(xpnet.zeros(7))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_and_normal(backend_name, dtype):
    t = xpnet.zeros(N_OUT, N_IN, dtype=dtype)
    assert init.uniform_(t, -2.0, 2.0) is t and t.dtype == numpy.dtype(dtype)
    _uniform_ok(t.numpy(), 2.0)
    init.uniform_(t, 3.0, 5.0)
    v = t.numpy()
    assert v.min() >= 3.0 and v.max() <= 5.0
    _stats_ok(v, 4.0, 1 / math.sqrt(3), 1.8)
    init.normal_(t, mean=1.5, std=0.3)
    _normal_ok(t.numpy(), 0.3, mean=1.5)


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier(backend_name, gain):
    t = xpnet.zeros(N_OUT, N_IN)
    init.xavier_uniform_(t, gain=gain)
    _uniform_ok(t.numpy(), gain * math.sqrt(6 / (N_IN + N_OUT)))
    init.xavier_normal_(t, gain=gain)
    _normal_ok(t.numpy(), gain * math.sqrt(2 / (N_IN + N_OUT)))


@pytest.mark.parametrize("mode,fan", [("fan_in", 30 * 9), ("fan_out", 200 * 9)])
@pytest.mark.parametrize("nonlinearity,a,gain", [("relu", 0, math.sqrt(2)),
                                                 ("leaky_relu", 0.1, math.sqrt(2 / 1.01)),
                                                 ("tanh", 0, 5 / 3)])
def test_kaiming_on_conv_weight(backend_name, mode, fan, nonlinearity, a, gain):
    t = xpnet.zeros(200, 30, 3, 3)  # (K, C, R, S): fan_in = C*R*S, fan_out = K*R*S
    init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _uniform_ok(t.numpy(), gain * math.sqrt(3 / fan))
    init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    _normal_ok(t.numpy(), gain / math.sqrt(fan))


def test_kaiming_default_is_leaky_relu_with_slope_zero(backend_name):
    t = xpnet.zeros(N_OUT, N_IN)
    init.kaiming_uniform_(t)  # a=0, leaky_relu -> gain sqrt(2), fan_in
    _uniform_ok(t.numpy(), math.sqrt(2) * math.sqrt(3 / N_IN))


def test_in_place_no_graph_and_constants(backend_name):
    p = xpnet.zeros(3, 4, requires_grad=True)
    array = p.data
    init.normal_(p)
    assert p.data is array and p.is_leaf and p.requires_grad and p.grad is None
    assert init.constant_(p, 0.25) is p and (p.numpy() == 0.25).all()
    init.ones_(p)
    assert (p.numpy() == 1).all()
    init.zeros_(p)
    assert not p.numpy().any()
    counter = xpnet.tensor([5, 6])
    init.constant_(counter, 3)  # constants work for any dtype
    assert counter.dtype == numpy.int64 and counter.tolist() == [3, 3]


def test_same_seed_bit_identical_on_every_backend(same_draws_on_host_backends):
    def draw(_):
        outs = []
        for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_):
            t = xpnet.zeros(6, 5)
            fn(t)
            outs.append(t.numpy())
        return outs
    same_draws_on_host_backends(11, draw)


def test_generator_argument(backend_name):
    a, b = xpnet.zeros(3, 3), xpnet.zeros(3, 3)
    init.normal_(a, generator=numpy.random.default_rng(5))
    init.normal_(b, generator=numpy.random.default_rng(5))
    numpy.testing.assert_array_equal(a.numpy(), b.numpy())


def test_errors(backend_name):
    with pytest.raises(TypeError, match="floating-point tensor; got dtype int64"):
        init.uniform_(xpnet.tensor([1, 2]))
    with pytest.raises(ValueError, match="a <= b; got a=2, b=1"):
        init.uniform_(xpnet.zeros(2), 2, 1)
    with pytest.raises(ValueError, match="std >= 0; got std=-1"):
        init.normal_(xpnet.zeros(2), 0, -1)
    with pytest.raises(ValueError, match="'fan_in' or 'fan_out'; got 'fan_avg'"):
        init.kaiming_normal_(xpnet.zeros(2, 2), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        t = init.kaiming_uniform_(xpnet.zeros(0, 3))
    assert t.shape == (0, 3)
