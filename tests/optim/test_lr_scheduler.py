"""Learning-rate schedulers against their closed forms, PyTorch, and their state dicts."""
import math

import numpy
import pytest

import xpnet
from xpnet.optim import SGD, Adam
from xpnet.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR

BASE_LRS = [0.1, 0.03]
EPOCHS = 25


def make_optimizer(lrs=BASE_LRS):
    groups = [{"params": [xpnet.tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return SGD(groups, lr=1.0, momentum=0.9)


def lr_history(scheduler, epochs=EPOCHS):
    """[lrs of every group] at epochs 0 .. epochs-1, read from the optimizer itself."""
    out = []
    for _ in range(epochs):
        lrs = [g["lr"] for g in scheduler.optimizer.param_groups]
        assert scheduler.get_last_lr() == lrs
        out.append(lrs)
        scheduler.optimizer.step()  # no grads: a no-op, but the documented order
        scheduler.step()
    return numpy.array(out)


CLOSED_FORMS = {
    "StepLR": (lambda opt: StepLR(opt, step_size=3, gamma=0.5),
               lambda base, e: base * 0.5 ** (e // 3)),
    "ExponentialLR": (lambda opt: ExponentialLR(opt, gamma=0.9),
                      lambda base, e: base * 0.9 ** e),
    "CosineAnnealingLR": (lambda opt: CosineAnnealingLR(opt, T_max=7, eta_min=0.001),
                          lambda base, e: 0.001 + (base - 0.001) * (1 + math.cos(math.pi * e / 7)) / 2),
    "CosineAnnealingLR-T1": (lambda opt: CosineAnnealingLR(opt, T_max=1),
                             lambda base, e: base * (1 + math.cos(math.pi * e)) / 2),
}


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_closed_form(name):
    make, closed = CLOSED_FORMS[name]
    sched = make(make_optimizer())
    got = lr_history(sched)
    expected = numpy.array([[closed(b, e) for b in BASE_LRS] for e in range(EPOCHS)])
    # the recursive forms (PyTorch's) accumulate ~1 rounding per epoch: 1e-13 absolute on
    # lrs of 0.1 is ~1000 ulps over 25 epochs, far below any formula error
    numpy.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-13)
    assert sched.last_epoch == EPOCHS and sched.base_lrs == BASE_LRS


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR", "CosineAnnealingLR",
                                  "CosineAnnealingLR-T1"])
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    make, _ = CLOSED_FORMS[name]
    ours = lr_history(make(make_optimizer()))
    topt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr}
                            for lr in BASE_LRS], lr=1.0)
    tsched = {"StepLR": lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
              "ExponentialLR": lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
              "CosineAnnealingLR": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
                  o, T_max=7, eta_min=0.001),
              "CosineAnnealingLR-T1": lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(
                  o, T_max=1)}[name](topt)
    theirs = []
    for _ in range(EPOCHS):
        theirs.append(tsched.get_last_lr())
        topt.step()
        tsched.step()
    numpy.testing.assert_array_equal(ours, numpy.array(theirs))  # same float operations


def test_schedulers_chain():
    opt = make_optimizer()
    step, expo = StepLR(opt, step_size=4, gamma=0.1), ExponentialLR(opt, gamma=0.8)
    for e in range(1, 12):
        opt.step()
        step.step()
        expo.step()
        expected = [b * 0.1 ** (e // 4) * 0.8 ** e for b in BASE_LRS]
        numpy.testing.assert_allclose([g["lr"] for g in opt.param_groups], expected, rtol=1e-12)


def test_scheduled_lr_drives_the_update(backend_name):
    w = xpnet.tensor([0.0], dtype=numpy.float64, requires_grad=True)
    opt = SGD([w], lr=1.0)
    sched = ExponentialLR(opt, gamma=0.5)
    for _ in range(3):
        w.grad = xpnet.tensor([1.0], dtype=numpy.float64)
        opt.step()
        sched.step()
    numpy.testing.assert_allclose(w.numpy(), [-(1.0 + 0.5 + 0.25)], rtol=1e-15)


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_state_dict_round_trip(tmp_path, name):
    make, _ = CLOSED_FORMS[name]
    opt = make_optimizer()
    sched = make(opt)
    lr_history(sched, epochs=5)
    # through a file, no pickle
    xpnet.save(sched.state_dict(), tmp_path / "s.xpt")
    opt_sd = opt.state_dict()
    opt2 = make_optimizer(lrs=[9.0, 9.0])
    sched2 = make(opt2)
    sched2.load_state_dict(xpnet.load(tmp_path / "s.xpt"))
    opt2.load_state_dict(opt_sd)
    assert sched2.last_epoch == 5 and sched2.get_last_lr() == sched.get_last_lr()
    numpy.testing.assert_array_equal(lr_history(sched2, 10), lr_history(sched, 10))


def test_resume_with_last_epoch():
    opt = make_optimizer()
    with pytest.raises(KeyError, match=r"param_groups\[0\] has no 'initial_lr'"):
        StepLR(opt, step_size=2, last_epoch=3)
    for g in opt.param_groups:
        g["initial_lr"] = 1.0
    sched = StepLR(opt, step_size=2, last_epoch=3)
    assert sched.base_lrs == [1.0, 1.0] and sched.last_epoch == 4
    assert sched.get_last_lr() == BASE_LRS  # the initial step keeps the current lrs


@pytest.mark.parametrize("make, error, match", [
    (lambda o: StepLR(o, step_size=0), ValueError, r"StepLR: step_size must be an int >= 1; got 0"),
    (lambda o: StepLR(o, step_size=2.5), TypeError, r"StepLR: step_size must be an int; got 2\.5"),
    (lambda o: StepLR(o, step_size=2, gamma=-0.1), ValueError, r"StepLR: gamma .*got -0\.1"),
    (lambda o: ExponentialLR(o, gamma=float("inf")), ValueError, r"ExponentialLR: gamma .*inf"),
    (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, r"CosineAnnealingLR: T_max .*got 0"),
    (lambda o: CosineAnnealingLR(o, T_max=5, eta_min=-1e-3), ValueError, r"eta_min .*-0\.001"),
    (lambda o: ExponentialLR(o, gamma=0.9, last_epoch=-2), ValueError, r"last_epoch .*>= -1; got -2"),
    (lambda o: ExponentialLR("sgd", gamma=0.9), TypeError, r"optimizer must be an xpnet\.optim\.Optimizer; got str"),
])
def test_bad_arguments(make, error, match):
    opt = make_optimizer()
    with pytest.raises(error, match=match):
        make(opt)
    assert [g["lr"] for g in opt.param_groups] == BASE_LRS


def test_load_state_dict_validates_first():
    opt = make_optimizer()
    sched = CosineAnnealingLR(opt, T_max=10)
    lr_history(sched, 3)
    good = sched.state_dict()
    for bad, match in [({**good, "base_lrs": [0.1]}, "base_lrs has 1 entries but the optimizer has 2"),
                       ({**good, "T_max": 0}, "T_max must be an int >= 1"),
                       ({**good, "gamma": 0.5}, r"state_dict has unexpected keys \['gamma'\]; it must have exactly"),
                       ({k: v for k, v in good.items() if k not in ("T_max", "base_lrs")} | {"x": 1},
                        r"has missing keys \['T_max', 'base_lrs'\] and unexpected keys \['x'\]")]:
        with pytest.raises(ValueError, match=match):
            sched.load_state_dict(bad)
        assert sched.state_dict() == good


def test_adam_with_cosine_end_to_end(backend_name):
    # the lr at epoch e is used by the step of epoch e (first step uses base_lr)
    w = xpnet.tensor([1.0], dtype=numpy.float64, requires_grad=True)
    opt = Adam([w], lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=4)
    used = []
    for _ in range(4):
        used.append(opt.param_groups[0]["lr"])
        w.grad = xpnet.tensor([1.0], dtype=numpy.float64)
        opt.step()
        sched.step()
    numpy.testing.assert_allclose(used, [0.1 * (1 + math.cos(math.pi * e / 4)) / 2
                                         for e in range(4)], rtol=1e-12)
    # constant gradient: every Adam step moves by lr (m_hat = 1, v_hat = 1, eps negligible)
    numpy.testing.assert_allclose(w.numpy(), [1.0 - sum(used)], rtol=1e-6)
