"""Adagrad against an independent float64 loop of PyTorch's documented algorithm."""
import numpy
import pytest

import xpnet
from xpnet.optim import Adagrad, adagrad_init, adagrad_update

from optim_helpers import DTYPES, N_STEPS, check_reference, check_torch

OPTIONS = [
    dict(),
    dict(lr_decay=0.3),
    dict(weight_decay=0.1),
    dict(initial_accumulator_value=0.5),
    dict(eps=0.5),  # large enough that putting it inside the sqrt would show
    dict(lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.2, eps=1e-3),
]


def reference(p0, grads, lrs, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
              eps=1e-10):
    """torch.optim.Adagrad docs: g += wd*p; clr = lr/(1+(t-1)*decay); s += g^2; p -= clr*g/(sqrt(s)+eps)."""
    p, out = p0.copy(), []
    s = numpy.full_like(p0, initial_accumulator_value)
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g ** 2
        p = p - clr * g / (numpy.sqrt(s) + eps)
        out.append(p)
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_trajectory(backend_name, dtype, options):
    opt, p = check_reference(lambda ps: Adagrad(ps, **options), reference, dtype, **options)
    assert opt.state[p]["step"] == N_STEPS


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_matches_torch(backend_name, dtype, options):
    check_torch(lambda ps: Adagrad(ps, **options), "Adagrad", dtype, **options)


def test_state_exists_from_construction(backend_name):
    p = xpnet.tensor([1.0, 2.0], requires_grad=True)
    opt = Adagrad([p], initial_accumulator_value=0.25)
    sd = opt.state_dict()["state"]
    assert sd[0]["step"] == 0
    numpy.testing.assert_array_equal(sd[0]["sum"], numpy.float32([0.25, 0.25]))
    assert sd[0]["sum"].dtype == numpy.float32


def test_rule_is_pure(backend_name):
    be = xpnet.get_backend()
    param, grad = be.asarray(numpy.ones(2)), be.asarray(numpy.full(2, 3.0))
    state = adagrad_init(param, initial_accumulator_value=7.0, xp=be.xp)
    new_p, new_state = adagrad_update(param, grad, state, lr=0.5, lr_decay=1.0, xp=be.xp)
    new_p, new_state = adagrad_update(new_p, grad, new_state, lr=0.5, lr_decay=1.0, eps=0.0,
                                      xp=be.xp)
    assert numpy.array_equal(be.to_numpy(state["sum"]), numpy.full(2, 7.0)) and state["step"] == 0
    # step 1: s = 16, p = 1 - 0.5*3/(4+1e-10); step 2: clr = 0.25, s = 25, p -= 0.25*3/5
    expected = 1 - 0.5 * 3 / (4 + 1e-10) - 0.25 * 3 / 5
    numpy.testing.assert_allclose(be.to_numpy(new_p), expected, rtol=1e-15)
    assert new_state["step"] == 2


@pytest.mark.parametrize("name", ["lr", "lr_decay", "weight_decay", "initial_accumulator_value",
                                  "eps"])
def test_negative_hyperparameter(backend_name, name):
    p = xpnet.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=rf"Adagrad: {name} must be a finite number >= 0; got -1\.0"):
        Adagrad([p], **{name: -1.0})
