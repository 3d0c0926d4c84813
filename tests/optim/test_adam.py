"""Adam and AdamW against an independent float64 loop of PyTorch's documented algorithm."""
import numpy
import pytest

import xpnet
from xpnet.optim import Adam, AdamW, adam_init, adam_update

from optim_helpers import DTYPES, N_STEPS, check_reference, check_torch

OPTIONS = [
    dict(),
    dict(betas=(0.5, 0.9)),
    dict(eps=0.1),  # large enough that its place (after the bias correction) shows
    dict(weight_decay=0.1),
    dict(amsgrad=True),
    dict(betas=(0.8, 0.95), weight_decay=0.05, amsgrad=True, eps=1e-4),
]


def reference(p0, grads, lrs, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
              decoupled=False):
    """torch.optim.Adam/AdamW docs, with m_hat = m/(1-b1^t), v_hat = v/(1-b2^t):
    p -= lr * m_hat / (sqrt(v_hat) + eps); AMSGrad takes the max of v (uncorrected)."""
    b1, b2 = betas
    p, out = p0.copy(), []
    m, v, v_max = numpy.zeros_like(p0), numpy.zeros_like(p0), numpy.zeros_like(p0)
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        if decoupled:
            p = p - lr * weight_decay * p
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat = m / (1 - b1 ** t)
        if amsgrad:
            v_max = numpy.maximum(v_max, v)
            v_hat = v_max / (1 - b2 ** t)
        else:
            v_hat = v / (1 - b2 ** t)
        p = p - lr * m_hat / (numpy.sqrt(v_hat) + eps)
        out.append(p)
    return out


def _state_keys(options):
    return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if options.get("amsgrad") else set())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_adam_trajectory(backend_name, dtype, options):
    opt, p = check_reference(lambda ps: Adam(ps, **options), reference, dtype, **options)
    assert set(opt.state[p]) == _state_keys(options)
    assert opt.state[p]["step"] == N_STEPS


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_adamw_trajectory(backend_name, dtype, options):
    options = {"weight_decay": 1e-2, **options}  # AdamW's default decay is on
    check_reference(lambda ps: AdamW(ps, **options), reference, dtype, decoupled=True, **options)


@pytest.mark.parametrize("cls", ["Adam", "AdamW"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_matches_torch(backend_name, cls, dtype, options):
    ours = {"Adam": Adam, "AdamW": AdamW}[cls]
    check_torch(lambda ps: ours(ps, **options), cls, dtype, **options)


def test_adamw_default_decay_is_decoupled(backend_name):
    # zero gradient: Adam's moments stay 0, so only the decay moves p: p *= (1 - lr*wd)
    p = xpnet.tensor([2.0], dtype=numpy.float64, requires_grad=True)
    opt = AdamW([p], lr=0.5)
    assert opt.defaults["weight_decay"] == 1e-2
    p.grad = xpnet.tensor([0.0], dtype=numpy.float64)
    opt.step()
    numpy.testing.assert_allclose(p.numpy(), [2.0 * (1 - 0.5 * 1e-2)], rtol=1e-15)


def test_rule_is_pure(backend_name):
    be = xpnet.get_backend()
    param, grad = be.asarray(numpy.ones(2)), be.asarray(numpy.full(2, -2.0))
    state = adam_init(param, amsgrad=True, xp=be.xp)
    new_p, new_state = adam_update(param, grad, state, lr=0.1, betas=(0.5, 0.75), eps=0.0,
                                   amsgrad=True, xp=be.xp)
    for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert numpy.array_equal(be.to_numpy(state[k]), numpy.zeros(2)), k
    assert state["step"] == 0 and new_state["step"] == 1
    # first step with eps = 0 moves by exactly lr * sign(g)
    numpy.testing.assert_allclose(be.to_numpy(new_p), 1.1, rtol=1e-15)
    numpy.testing.assert_allclose(be.to_numpy(new_state["max_exp_avg_sq"]), 1.0, rtol=1e-15)


@pytest.mark.parametrize("cls", [Adam, AdamW])
@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1.0), r"lr must be a finite number >= 0; got -1\.0"),
    (dict(eps=-1e-8), r"eps must be a finite number >= 0; got -1e-08"),
    (dict(weight_decay=-0.01), r"weight_decay .*got -0\.01"),
    (dict(betas=(1.0, 0.999)), r"betas\[0\] must be a finite number in \[0, 1\); got 1\.0"),
    (dict(betas=(0.9, -0.1)), r"betas\[1\] .*got -0\.1"),
    (dict(betas=(0.9,)), r"betas must be a pair"),
])
def test_bad_hyperparameters(backend_name, cls, kwargs, match):
    p = xpnet.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=f"{cls.__name__}: {match}"):
        cls([p], **kwargs)


def test_bool_flag_must_be_bool(backend_name):
    p = xpnet.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"Adam: amsgrad must be True or False; got 'yes'"):
        Adam([p], amsgrad="yes")
