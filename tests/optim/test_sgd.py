"""SGD against an independent float64 loop of PyTorch's documented algorithm."""
import numpy
import pytest

import xpnet
from xpnet.optim import SGD, sgd_update

from optim_helpers import DTYPES, check_reference, check_torch

OPTIONS = [
    dict(),
    dict(momentum=0.9),
    dict(momentum=0.9, dampening=0.3),
    dict(momentum=0.8, nesterov=True),
    dict(weight_decay=0.1),
    dict(momentum=0.7, dampening=0.2, weight_decay=0.05),
    dict(momentum=0.9, nesterov=True, weight_decay=0.01),
]


def reference(p0, grads, lrs, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """torch.optim.SGD docs: g += wd*p; b_1 = g, b_t = mu*b + (1-tau)*g; g = g + mu*b or b; p -= lr*g."""
    p, b, out = p0.copy(), None, []
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        g = g + weight_decay * p
        if momentum != 0:
            b = g.copy() if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        p = p - lr * g
        out.append(p)
    return out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_trajectory(backend_name, dtype, options):
    opt, p = check_reference(lambda ps: SGD(ps, lr=0.1, **options), reference, dtype, **options)
    # the buffer is kept exactly when momentum is on, under PyTorch's key
    assert set(opt.state.get(p, {})) == ({"momentum_buffer"} if options.get("momentum") else set())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_matches_torch(backend_name, dtype, options):
    check_torch(lambda ps: SGD(ps, lr=0.1, **options), "SGD", dtype, lr=0.1, **options)


def test_momentum_is_not_the_lr_inside_buffer_convention(backend_name):
    # With a changing lr PyTorch's b = mu*b + g; p -= lr*b differs from
    # v = mu*v - lr*g; p += v.  Step 2 with lr 0.1 then 0.2, g = 1, mu = 0.5:
    # PyTorch: p = -0.1 - 0.2*(0.5*1 + 1) = -0.4; the other: -0.1 - (0.05 + 0.2) = -0.35.
    p = xpnet.tensor([0.0], dtype=numpy.float64, requires_grad=True)
    opt = SGD([p], lr=0.1, momentum=0.5)
    for lr in (0.1, 0.2):
        opt.param_groups[0]["lr"] = lr
        p.grad = xpnet.tensor([1.0], dtype=numpy.float64)
        opt.step()
    numpy.testing.assert_allclose(p.numpy(), [-0.4], rtol=1e-15)


def test_rule_is_pure(backend_name):
    be = xpnet.get_backend()
    param, grad = be.asarray(numpy.ones(3)), be.asarray(numpy.full(3, 2.0))
    state = {"momentum_buffer": be.asarray(numpy.full(3, 5.0))}
    new_p, new_state = sgd_update(param, grad, state, lr=0.5, momentum=0.9, weight_decay=0.1,
                                  xp=be.xp)
    assert numpy.array_equal(be.to_numpy(param), numpy.ones(3))
    assert numpy.array_equal(be.to_numpy(grad), numpy.full(3, 2.0))
    assert numpy.array_equal(be.to_numpy(state["momentum_buffer"]), numpy.full(3, 5.0))
    # b = 0.9*5 + 2.1 = 6.6; p = 1 - 0.5*6.6 = -2.3
    numpy.testing.assert_allclose(be.to_numpy(new_state["momentum_buffer"]), 6.6, rtol=1e-15)
    numpy.testing.assert_allclose(be.to_numpy(new_p), -2.3, rtol=1e-15)


def test_first_buffer_is_a_copy_of_the_gradient(backend_name):
    p = xpnet.tensor([1.0, 2.0], requires_grad=True)
    p.grad = xpnet.tensor([3.0, 4.0])
    opt = SGD([p], lr=0.1, momentum=0.9, dampening=0.5)  # no dampening on step 1
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    numpy.testing.assert_array_equal(p.backend.to_numpy(buf), numpy.float32([3.0, 4.0]))
    p.grad.data = p.grad.data * 0  # changing the gradient later must not change the buffer
    numpy.testing.assert_array_equal(p.backend.to_numpy(buf), numpy.float32([3.0, 4.0]))


@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=-0.1), r"SGD: lr must be a finite number >= 0; got -0\.1"),
    (dict(lr=float("nan")), r"SGD: lr .*nan"),
    (dict(momentum=-0.5), r"SGD: momentum .*>= 0; got -0\.5"),
    (dict(weight_decay=-1e-4), r"SGD: weight_decay .*got -0\.0001"),
    (dict(nesterov=True), r"SGD: nesterov=True requires momentum > 0 .*momentum=0"),
    (dict(nesterov=True, momentum=0.9, dampening=0.1), r"nesterov=True .*dampening=0\.1"),
])
def test_bad_hyperparameters(backend_name, kwargs, match):
    p = xpnet.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=match):
        SGD([p], **kwargs)


def test_bad_lr_set_later_fails_before_any_update(backend_name):
    a = xpnet.tensor([1.0], requires_grad=True)
    b = xpnet.tensor([2.0], requires_grad=True)
    opt = SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    a.grad, b.grad = xpnet.tensor([1.0]), xpnet.tensor([1.0])
    opt.param_groups[1]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr must be"):
        opt.step()
    assert a.numpy()[0] == 1.0 and b.numpy()[0] == 2.0  # group 0 was not updated either
