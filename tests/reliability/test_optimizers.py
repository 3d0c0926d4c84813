"""Bad input, tried systematically: the optimizers' constructors, then two steps.

Each case draws an optimizer, its hyper-parameters (valid, or negative, NaN, inf, strings,
bools, None, wrong tuples) and its ``params`` argument (a list, a generator, groups, or an
empty list, a set, a bare tensor, a non-floating tensor), builds it and takes two steps on a
fixed gradient.  Rule (``torch.optim``'s checks): every rate, decay and ``eps`` >= 0,
``betas`` a pair in [0, 1), SGD's ``nesterov`` needs ``momentum > 0`` and ``dampening == 0``,
``params`` a non-empty ordered iterable of floating tensors or of dicts.  A valid case must
update the parameter as torch does; an invalid one must raise naming the argument and leave
the parameter as it was.

Intentional differences from torch (the rule, our documented behaviour, is the oracle):

* NaN and inf hyper-parameters are refused; torch's ``lr < 0`` checks let them through;
* bools as numbers are refused (torch reads ``lr=True`` as 1) and ``nesterov``/``amsgrad``/
  ``centered`` must be bools;
* ``RMSprop(alpha)`` must be in [0, 1] (a decay rate); torch only checks ``alpha >= 0``;
* SGD's ``dampening`` must be a real number; torch does not check it;
* a set of parameters is refused (its order changes between runs); torch takes it;
* betas may be any pair, a list too (torch takes a list too but not a 0-d array).
"""
import math

import numpy
import pytest
from hypothesis import strategies as st

import xpnet
from xpnet import optim

from layer_cases import is_real, maybe_bad
from reliability_oracle import BUDGETS, Invalid, Valid, check_case, run_property, torch

BAD = (-0.1, float("nan"), float("inf"), "0.1", None, True)
RATE = st.sampled_from((0.0, 0.01, 0.1, 0.5))

#: optimizer -> {hyper-parameter: (valid strategy, rule for a real value)}
OPTIMIZERS = {
    "SGD": dict(lr=RATE, momentum=st.sampled_from((0.0, 0.9)), dampening=st.sampled_from(
        (0.0, 0.1)), weight_decay=RATE, nesterov=st.booleans()),
    "Adam": dict(lr=RATE, betas=st.sampled_from(((0.9, 0.999), (0.0, 0.5), [0.5, 0.9])),
                 eps=st.sampled_from((1e-8, 0.0, 0.1)), weight_decay=RATE, amsgrad=st.booleans()),
    "AdamW": dict(lr=RATE, betas=st.sampled_from(((0.9, 0.999), (0.0, 0.5))),
                  eps=st.sampled_from((1e-8, 0.1)), weight_decay=RATE, amsgrad=st.booleans()),
    "RMSprop": dict(lr=RATE, alpha=st.sampled_from((0.99, 0.0, 1.0)), eps=st.sampled_from(
        (1e-8, 0.1)), weight_decay=RATE, momentum=st.sampled_from((0.0, 0.9)),
        centered=st.booleans()),
    "Adagrad": dict(lr=RATE, lr_decay=RATE, weight_decay=RATE,
                    initial_accumulator_value=st.sampled_from((0.0, 0.1)),
                    eps=st.sampled_from((1e-10, 0.1))),
}
FLAGS = ("nesterov", "amsgrad", "centered")
BAD_BETAS = ((0.9,), (1.0, 0.999), (-0.1, 0.9), (0.9, float("nan")), "0.9", None, (0.9, "0.9"))
PARAMS = ("list", "list", "list", "generator", "groups", "empty", "set", "tensor", "int_tensor")


@st.composite
def optimizer_cases(draw):
    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    hp = {}
    for key, valid in OPTIMIZERS[name].items():
        if draw(st.integers(0, 2)):  # left at its default a third of the time
            bad = BAD_BETAS if key == "betas" else (0.0, 1, "yes", None) if key in FLAGS else BAD
            hp[key] = maybe_bad(draw, valid, bad=bad, one_in=12)
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    return dict(name=name, hp=hp, params=draw(st.sampled_from(PARAMS)), shape=shape,
                dtype=draw(st.sampled_from(("float32", "float32", "float64"))),
                seed=draw(st.integers(0, 999)))


def _real_ok(v, high=math.inf, high_open=True):
    return is_real(v) and math.isfinite(v) and v >= 0 and (v < high if high_open else v <= high)


def _rule(c):
    """torch.optim's constructor checks (see the module docstring)."""
    hp, problems = c["hp"], []
    for key, v in hp.items():
        if key in FLAGS:
            ok = isinstance(v, bool)
        elif key == "betas":
            ok = (isinstance(v, (tuple, list)) and len(v) == 2
                  and all(_real_ok(b, high=1.0) for b in v))
        elif key == "alpha":
            ok = _real_ok(v, high=1.0, high_open=False)
        elif key == "dampening":
            ok = is_real(v) and math.isfinite(v)
        else:
            ok = _real_ok(v)
        if not ok:
            problems.append(key)
    if c["name"] == "SGD" and not problems and hp.get("nesterov") and (
            hp.get("momentum", 0) <= 0 or hp.get("dampening", 0) != 0):
        problems.append("nesterov")
    if c["params"] in ("empty", "set", "tensor", "int_tensor"):
        problems.append("params")
    return Invalid(*problems) if problems else Valid(c["shape"], c["dtype"])


def _params_argument(kind, p):
    if kind == "generator":
        return (q for q in [p])
    if kind == "groups":
        return [{"params": [p], "lr": 0.05}]
    return {"list": [p], "empty": [], "set": {p}, "tensor": p, "int_tensor": [p]}[kind]


def _values(c):
    rng = numpy.random.default_rng(c["seed"])
    start = rng.uniform(-2, 2, c["shape"]).astype(c["dtype"])
    return start, rng.uniform(-1, 1, c["shape"]).astype(c["dtype"])


def _optimizer(c):
    start, grad = _values(c)
    p = xpnet.tensor(start, requires_grad=True)
    if c["params"] == "int_tensor":
        p = xpnet.tensor(start.astype("int64"))

    def run(watch):
        opt = getattr(optim, c["name"])(_params_argument(c["params"], p), **c["hp"])
        for _ in range(2):
            p.grad = xpnet.tensor(grad)
            opt.step()
        return p

    def run_torch():
        q = torch.tensor(start, requires_grad=True)
        if c["params"] == "int_tensor":
            q = torch.tensor(start.astype("int64"))
        opt = getattr(torch.optim, c["name"])(_params_argument(c["params"], q), **c["hp"])
        for _ in range(2):
            q.grad = torch.tensor(grad)
            opt.step()
        return q
    rule = _rule(c)
    error = check_case(f"{c['name']}({c['params']}, {c['hp']}) on {c['shape']} {c['dtype']}", run,
                       rule, run_torch=run_torch, difference=_difference(c))
    if error is not None:
        assert numpy.array_equal(p.numpy(), start.astype(p.numpy().dtype)), (
            f"{c}: a constructor that raised changed the parameter")


def _difference(c):
    hp = c["hp"]
    if c["params"] == "set":
        return "a set of parameters is refused (its order changes between runs)"
    if any(isinstance(v, bool) for k, v in hp.items() if k not in FLAGS) or any(
            not isinstance(v, bool) for k, v in hp.items() if k in FLAGS):
        return "bools as numbers are refused, and flags must be bools"
    values = [b for v in hp.values() for b in (v if isinstance(v, (tuple, list)) else (v,))]
    if any(is_real(v) and not math.isfinite(v) for v in values):
        return "NaN and inf hyper-parameters are refused"
    if c["name"] == "RMSprop" and is_real(hp.get("alpha")) and hp["alpha"] > 1:
        return "RMSprop's alpha is a decay rate in [0, 1]"
    if c["name"] == "RMSprop" and hp.get("alpha") == 0 and hp.get("centered") is True:
        return ("alpha=0, centered: the variance g^2 - g^2 is 0 up to rounding; torch's lerp "
                "can round it below 0 (NaN)")
    if "dampening" in hp and not is_real(hp["dampening"]):
        return "SGD checks dampening; torch does not (it is unused without momentum)"
    return None


@pytest.mark.parametrize("budget", BUDGETS)
def test_optimizer_bad_input(budget):
    run_property("optimizers", optimizer_cases(), _optimizer, 600, budget)
