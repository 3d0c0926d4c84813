"""RMSprop against an independent float64 loop of PyTorch's documented algorithm."""
import numpy
import pytest

import xpnet
from xpnet.optim import RMSprop, rmsprop_init, rmsprop_update

from optim_helpers import DTYPES, LRS, check_reference, check_torch

OPTIONS = [
    dict(),
    dict(alpha=0.9),
    dict(eps=0.1),  # large enough that putting it inside the sqrt would show
    dict(centered=True),
    dict(momentum=0.9),
    dict(weight_decay=0.1),
    dict(alpha=0.8, momentum=0.5, centered=True, weight_decay=0.05, eps=1e-3),
]
LRS_RMS = [lr / 10 for lr in LRS]  # RMSprop's first steps are ~lr/sqrt(1-alpha): keep them O(0.1)


def reference(p0, grads, lrs, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
              centered=False):
    """torch.optim.RMSprop docs: v = a*v + (1-a)*g^2; centered: v~ = v - gavg^2; eps outside sqrt."""
    p, out = p0.copy(), []
    v, gavg, b = numpy.zeros_like(p0), numpy.zeros_like(p0), numpy.zeros_like(p0)
    for g, lr in zip(grads, lrs):
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g ** 2
        v_tilde = v
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            v_tilde = v - gavg ** 2
        if momentum > 0:
            b = momentum * b + g / (numpy.sqrt(v_tilde) + eps)
            p = p - lr * b
        else:
            p = p - lr * g / (numpy.sqrt(v_tilde) + eps)
        out.append(p)
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_trajectory(backend_name, dtype, options):
    opt, p = check_reference(lambda ps: RMSprop(ps, **options), reference, dtype, lrs=LRS_RMS,
                             **options)
    expected_keys = ({"step", "square_avg"} | ({"momentum_buffer"} if options.get("momentum") else set())
                     | ({"grad_avg"} if options.get("centered") else set()))
    assert set(opt.state[p]) == expected_keys


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_matches_torch(backend_name, dtype, options):
    check_torch(lambda ps: RMSprop(ps, **options), "RMSprop", dtype, lrs=LRS_RMS, **options)


def test_rule_is_pure(backend_name):
    be = xpnet.get_backend()
    param, grad = be.asarray(numpy.ones(2)), be.asarray(numpy.full(2, 2.0))
    state = rmsprop_init(param, momentum=0.5, centered=True, xp=be.xp)
    new_p, new_state = rmsprop_update(param, grad, state, lr=0.1, alpha=0.75, eps=0.0,
                                      momentum=0.5, centered=True, xp=be.xp)
    for k in ("square_avg", "grad_avg", "momentum_buffer"):
        assert numpy.array_equal(be.to_numpy(state[k]), numpy.zeros(2)), k
    # v = 0.25*4 = 1, gavg = 0.5, v~ = 0.75, b = 2/sqrt(0.75), p = 1 - 0.1*b
    numpy.testing.assert_allclose(be.to_numpy(new_p), 1 - 0.1 * 2 / numpy.sqrt(0.75), rtol=1e-15)
    assert new_state["step"] == 1


def test_switching_momentum_on_after_steps_fails_clearly(backend_name):
    p = xpnet.tensor([1.0], requires_grad=True)
    opt = RMSprop([p])
    p.grad = xpnet.tensor([1.0])
    opt.step()
    opt.param_groups[0]["momentum"] = 0.9
    before = p.numpy().copy()
    with pytest.raises(ValueError, match=r"lacks \['momentum_buffer'\]"):
        opt.step()
    numpy.testing.assert_array_equal(p.numpy(), before)


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-1e-3), r"RMSprop: lr must be a finite number >= 0; got -0\.001"),
    (dict(eps=-1e-8), r"RMSprop: eps .*got -1e-08"),
    (dict(momentum=-0.1), r"RMSprop: momentum .*got -0\.1"),
    (dict(weight_decay=-0.1), r"RMSprop: weight_decay .*got -0\.1"),
    (dict(alpha=1.5), r"RMSprop: alpha must be a finite number in \[0, 1\]; got 1\.5"),
])
def test_bad_hyperparameters(backend_name, kwargs, match):
    p = xpnet.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=match):
        RMSprop([p], **kwargs)
