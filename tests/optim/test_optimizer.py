"""The Optimizer base class: parameter groups, skipping, zero_grad, closures, state dicts."""
import numpy
import pytest

import xpnet
from xpnet.optim import SGD, Adagrad, Adam, AdamW, RMSprop

from optim_helpers import problem, set_grad

# one representative configuration per rule, with every kind of state it can keep
CONFIGS = [
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    (SGD, dict(lr=0.1)),
    (Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    (AdamW, dict(lr=0.01)),
]
CONFIG_IDS = [f"{c.__name__}-{o}" for c, o in CONFIGS]


def make_params(dtype=numpy.float32, seed=0):
    rng = numpy.random.default_rng(seed)
    return [xpnet.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in [(3, 4), (4,), ()]]


def take_steps(opt, params, n, seed):
    rng = numpy.random.default_rng(seed)
    for _ in range(n):
        for p in params:
            set_grad(p, rng.standard_normal(p.shape))
        opt.step()


# ---------------------------------------------------------------- groups
def test_param_forms_and_group_defaults(backend_name):
    a, b, c = make_params()
    opt = SGD((p for p in [a, b]), lr=0.5)  # a generator is consumed once
    assert [len(g["params"]) for g in opt.param_groups] == [2]
    opt = SGD([{"params": [a]}, {"params": [b, c], "lr": 0.01, "momentum": 0.9}], lr=0.5)
    g0, g1 = opt.param_groups
    assert g0["params"][0] is a and g0["lr"] == 0.5 and g0["momentum"] == 0.0
    assert g1["params"][1] is c and g1["lr"] == 0.01 and g1["momentum"] == 0.9
    for p in (a, b, c):
        set_grad(p, numpy.ones(p.shape))
    before = [p.numpy().copy() for p in (a, b, c)]
    opt.step()
    numpy.testing.assert_allclose(a.numpy(), before[0] - 0.5, rtol=1e-6)   # lr of group 0
    numpy.testing.assert_allclose(b.numpy(), before[1] - 0.01, rtol=1e-6)  # lr of group 1


def test_add_param_group(backend_name):
    a, b, c = make_params()
    opt = Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "betas": (0.5, 0.6)})  # a lone tensor is accepted
    assert opt.param_groups[1]["params"] == [b] or opt.param_groups[1]["params"][0] is b
    assert opt.param_groups[1]["betas"] == (0.5, 0.6) and opt.param_groups[1]["lr"] == 0.1
    with pytest.raises(ValueError, match="already belong to another parameter group"):
        opt.add_param_group({"params": [c, a]})
    with pytest.raises(ValueError, match=r"Adam: betas\[1\] must be .*got 1\.5"):
        opt.add_param_group({"params": [c], "betas": (0.5, 1.5)})
    assert len(opt.param_groups) == 2  # the failed calls added nothing


@pytest.mark.parametrize("bad, error, match", [
    ([], ValueError, "SGD: params is empty; pass at least one parameter"),
    ("tensor", TypeError, "params must be an ordered iterable .*got Tensor"),
    ("set", TypeError, "params must be an ordered iterable .*got set"),
    ([1.0], TypeError, r"param_groups\[0\]\['params'\]\[0\] must be a Tensor; got float"),
    ("int", TypeError, "can only optimize floating-point tensors"),
    ("dup", ValueError, "lists a parameter more than once"),
    ([{"lr": 0.1}], ValueError, "has no 'params' entry"),
    ("typo", ValueError, r"param_groups\[0\] has unknown keys \['lrr'\]; SGD takes \['dampening', "),
])
def test_bad_params(backend_name, bad, error, match):
    w = xpnet.tensor([1.0], requires_grad=True)
    bad = {"tensor": w, "set": {w}, "int": [xpnet.tensor([1, 2])], "dup": [w, w],
           "typo": [{"params": [w], "lrr": 0.1}]}.get(
        bad if isinstance(bad, str) else None, bad)
    with pytest.raises(error, match=match):
        SGD(bad, lr=0.1)


# ---------------------------------------------------------------- stepping
def test_parameters_without_grad_are_skipped(backend_name):
    a, b, _ = make_params()
    opt = Adam([a, b], lr=0.1)
    set_grad(a, numpy.ones(a.shape))
    before = b.numpy().copy()
    opt.step()
    numpy.testing.assert_array_equal(b.numpy(), before)
    assert b not in opt.state and opt.state[a]["step"] == 1


def test_zero_grad(backend_name):
    a, b, _ = make_params()
    opt = SGD([a, b], lr=0.1)
    set_grad(a, numpy.ones(a.shape))
    opt.zero_grad(set_to_none=False)
    assert b.grad is None
    assert a.grad.shape == a.shape and a.grad.dtype == a.dtype
    numpy.testing.assert_array_equal(a.grad.numpy(), numpy.zeros(a.shape))
    opt.zero_grad()
    assert a.grad is None


def test_step_with_closure(backend_name):
    w = xpnet.tensor([1.0, -2.0], requires_grad=True)
    opt = SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with xpnet.no_grad():  # the closure still records its graph, as in PyTorch
        loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    numpy.testing.assert_allclose(w.numpy(), [0.5, -1.0])  # w - 0.25 * 2w


def test_bad_grad_fails_before_any_update(backend_name):
    a, b, _ = make_params()
    opt = Adam([a, b], lr=0.1)
    set_grad(a, numpy.ones(a.shape))
    b.grad = xpnet.tensor(numpy.ones((5,), dtype=numpy.float32))
    before = a.numpy().copy()
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['params'\]\[1\] has shape \(4,\) .* "
                                         r"its grad has shape \(5,\)"):
        opt.step()
    numpy.testing.assert_array_equal(a.numpy(), before)
    assert len(opt.state) == 0


# ---------------------------------------------------------------- state dicts
@pytest.mark.parametrize("cls, options", CONFIGS, ids=CONFIG_IDS)
def test_state_dict_round_trip_continues_exactly(backend_name, cls, options):
    params = make_params()
    opt = cls(params, **options)
    take_steps(opt, params, 3, seed=1)
    saved = opt.state_dict()
    for entry in saved["state"].values():  # plain host data
        assert all(isinstance(v, int) if k == "step" else type(v) is numpy.ndarray
                   for k, v in entry.items())
    # a fresh model and optimizer, restored, must follow the original bit for bit
    clones = [xpnet.tensor(p.numpy(), requires_grad=True) for p in params]
    restored = cls(clones, lr=123.0)  # hyper-parameters come from the state dict
    restored.load_state_dict(saved)
    assert restored.param_groups[0]["lr"] == options["lr"]
    take_steps(opt, params, 3, seed=2)
    take_steps(restored, clones, 3, seed=2)
    for p, q in zip(params, clones):
        numpy.testing.assert_array_equal(q.numpy(), p.numpy())


def test_state_dict_is_a_copy(backend_name):
    params = make_params()
    opt = Adam(params, lr=0.1)
    take_steps(opt, params, 1, seed=0)
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"][...] = 1e9
    sd["param_groups"][0]["lr"] = 5.0
    assert opt.param_groups[0]["lr"] == 0.1
    assert float(numpy.max(numpy.abs(opt.state_dict()["state"][0]["exp_avg"]))) < 1e3


def test_state_dict_layout(backend_name):
    a, b, c = make_params()
    opt = SGD([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, momentum=0.9)
    set_grad(c, numpy.ones(c.shape))
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1] == {"lr": 0.5, "momentum": 0.9, "dampening": 0.0,
                                     "weight_decay": 0.0, "nesterov": False, "params": [2]}
    assert list(sd["state"]) == [2]  # only c has state
    assert sd["state"][2]["momentum_buffer"].dtype == numpy.float32


@pytest.mark.parametrize("cls, options", CONFIGS, ids=CONFIG_IDS)
def test_saved_to_a_file_without_pickle(backend_name, tmp_path, cls, options):
    params = make_params(numpy.float64)
    opt = cls(params, **options)
    take_steps(opt, params, 2, seed=3)
    xpnet.save(opt.state_dict(), tmp_path / "opt.xpt")  # read back without pickle
    loaded = xpnet.load(tmp_path / "opt.xpt")
    clones = [xpnet.tensor(p.numpy(), requires_grad=True) for p in params]
    restored = cls(clones, lr=1.0)
    restored.load_state_dict(loaded)
    assert restored.param_groups[0] == {**opt.param_groups[0], "params": clones}
    take_steps(opt, params, 2, seed=4)
    take_steps(restored, clones, 2, seed=4)
    for p, q in zip(params, clones):
        numpy.testing.assert_array_equal(q.numpy(), p.numpy())


def test_state_moves_between_backends():
    names = [n for n in ("numpy", "array_api_strict") if n in xpnet.available_backends()]
    if len(names) < 2:
        pytest.skip("needs the numpy and array_api_strict backends")
    with xpnet.use_backend(names[0]):
        params = make_params()
        opt = RMSprop(params, lr=0.01, momentum=0.5)
        take_steps(opt, params, 2, seed=5)
        saved, values = opt.state_dict(), [p.numpy() for p in params]
    with xpnet.use_backend(names[1]):
        clones = [xpnet.tensor(v, requires_grad=True) for v in values]
        restored = RMSprop(clones)
        restored.load_state_dict(saved)
        assert all(p.backend.is_array(a) for p in clones for a in
                   (v for k, v in restored.state[p].items() if k != "step"))
        take_steps(restored, clones, 2, seed=6)
    with xpnet.use_backend(names[0]):
        take_steps(opt, params, 2, seed=6)
    for p, q in zip(params, clones):
        numpy.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-6)


def _corrupt(sd, how):
    if how == "groups":
        sd["param_groups"].append(dict(sd["param_groups"][0]))
    elif how == "count":
        sd["param_groups"][0]["params"] = sd["param_groups"][0]["params"][:-1]
    elif how == "shape":
        sd["state"][1]["exp_avg"] = numpy.zeros((5,))
    elif how == "missing_key":
        del sd["state"][0]["exp_avg_sq"]
    elif how == "extra_key":
        sd["state"][0]["max_exp_avg_sq"] = sd["state"][0]["exp_avg"]
    elif how == "hyper":
        sd["param_groups"][0]["lr"] = -1.0
    elif how == "missing_hyper":
        del sd["param_groups"][0]["betas"]
    elif how == "step":
        sd["state"][2]["step"] = -3
    elif how == "orphan":
        sd["state"][7] = sd["state"][0]
    return sd


@pytest.mark.parametrize("how, error, match", [
    ("groups", ValueError, "2 parameter groups but this optimizer has 1"),
    ("count", ValueError, "saved param_groups\\[0\\] has 2 parameters but this optimizer's has 3"),
    ("shape", ValueError, "\\['exp_avg'\\] has shape \\(5,\\) but the parameter has shape \\(4,\\)"),
    ("missing_key", ValueError, "has keys \\['exp_avg', 'step'\\] but Adam .* keeps"),
    ("extra_key", ValueError, "has keys .*'max_exp_avg_sq'"),
    ("hyper", ValueError, "Adam: lr must be a finite number >= 0; got -1.0"),
    ("missing_hyper", ValueError, "lacks hyper-parameters \\['betas'\\]"),
    ("step", ValueError, "\\['step'\\] must be an int >= 0; got -3"),
    ("orphan", ValueError, "state entries \\[7\\] belong to no parameter"),
])
def test_load_validates_everything_first(backend_name, how, error, match):
    params = make_params()
    opt = Adam(params, lr=0.1)
    take_steps(opt, params, 1, seed=0)
    bad = _corrupt(opt.state_dict(), how)
    target = Adam([xpnet.tensor(p.numpy(), requires_grad=True) for p in params], lr=0.5)
    take_steps(target, target.param_groups[0]["params"], 1, seed=9)
    before = target.state_dict()
    with pytest.raises(error, match=match):
        target.load_state_dict(bad)
    after = target.state_dict()  # untouched: same groups, same state
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        for k, v in before["state"][i].items():
            numpy.testing.assert_array_equal(after["state"][i][k], v)


def test_load_names_every_problem_at_once(backend_name):
    params = make_params()
    opt = Adam(params, lr=0.1)
    take_steps(opt, params, 1, seed=0)
    bad = opt.state_dict()
    del bad["state"][0]["exp_avg_sq"]
    bad["state"][1]["exp_avg"] = numpy.zeros((5,))
    bad["state"][1]["exp_avg_sq"] = numpy.zeros((6,))
    bad["state"][2]["extra"] = 0
    bad["state"][9] = {}
    with pytest.raises(ValueError) as info:
        opt.load_state_dict(bad)
    message = str(info.value)
    for fragment in ["state[0] (param_groups[0]['params'][0]) has keys", "missing keys ['exp_avg_sq']",
                     "state[1] (param_groups[0]['params'][1])['exp_avg'] has shape (5,)",
                     "['exp_avg_sq'] has shape (6,)", "unexpected keys ['extra']",
                     "state entries [9] belong to no parameter", "nothing was loaded"]:
        assert fragment in message, (fragment, message)


def test_loads_a_torch_state_dict_and_continues_like_torch(backend_name, tmp_path):
    torch = pytest.importorskip("torch")
    p0, grads = problem(seed=7, n_steps=6)
    tp = torch.tensor(p0, requires_grad=True)
    topt = torch.optim.Adam([tp], lr=0.05, amsgrad=True)
    for g in grads[:3]:
        tp.grad = torch.tensor(g)
        topt.step()
    tsd = topt.state_dict()
    sd = {"state": {i: {k: v.numpy() for k, v in s.items()} for i, s in tsd["state"].items()},
          "param_groups": tsd["param_groups"]}  # with torch-only keys (foreach=None, ...)
    p = xpnet.tensor(tp.detach().numpy(), requires_grad=True)
    opt = Adam([p])
    opt.load_state_dict(sd)
    for g in grads[3:]:
        tp.grad = torch.tensor(g)
        topt.step()
        set_grad(p, g)
        opt.step()
    numpy.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert "foreach" not in opt.param_groups[0]  # dropped: they are no-ops here
    xpnet.save(opt.state_dict(), tmp_path / "adam.xpt")  # so the result still saves without pickle


def test_torch_only_options_that_change_the_rule_are_refused(backend_name):
    torch = pytest.importorskip("torch")
    tsd = torch.optim.Adam([torch.zeros(2, requires_grad=True)], maximize=True).state_dict()
    opt = Adam([xpnet.tensor([0.0, 0.0], requires_grad=True)])
    with pytest.raises(ValueError, match="has maximize=True, which Adam does not implement"):
        opt.load_state_dict(tsd)
    with pytest.raises(ValueError, match=r"unknown keys \['foo'\]"):
        opt.load_state_dict({"state": {}, "param_groups": [{**opt.state_dict()["param_groups"][0],
                                                            "foo": 1}]})


def test_repr(backend_name):
    opt = SGD(make_params(), lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text
