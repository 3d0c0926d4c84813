"""Bad input, tried systematically: the activation modules (see :mod:`reliability_oracle`).

Rule (PyTorch's): the output has the input's shape and dtype; ``Softmax``/``LogSoftmax`` need
``dim`` in [-n, n) (n = max(ndim, 1)); ``LeakyReLU``/``ELU`` take a real number; ``GELU``'s
``approximate`` is ``'none'`` or ``'tanh'``.

Intentional differences from torch (the rule, our documented behaviour, is the oracle):

* activations take floating input only (TypeError naming input); torch computes ``relu`` on
  integers and promotes them to float for ``sigmoid``/``tanh``/``gelu``;
* bool hyper-parameters (``negative_slope=True``) are refused; torch reads True as 1;
* ``Softmax(dim=None)`` is refused; torch guesses the axis (deprecated).
"""
import pytest
from hypothesis import strategies as st

from xpnet import nn

from layer_cases import backends, input_spec, is_int, is_real, maybe_bad, torch_lenient
from reliability_oracle import (BUDGETS, Invalid, Valid, build, check_case, run_property, torch,
                                to_torch)

#: name -> (the hyper-parameter's name, a strategy of valid values, bad values)
ACTIVATIONS = {
    "ReLU": (None, None, ()),
    "Sigmoid": (None, None, ()),
    "Tanh": (None, None, ()),
    "LeakyReLU": ("negative_slope", st.sampled_from((0.01, 0.2, -0.5, 0.0)),
                  ("0.1", None, True, [0.1])),
    "ELU": ("alpha", st.sampled_from((1.0, 0.5, 2.0)), ("1", None, True)),
    "GELU": ("approximate", st.sampled_from(("none", "tanh")), ("exact", None, 1, "TANH")),
    "Softmax": ("dim", st.integers(-4, 3), (1.0, None, True, "1")),
    "LogSoftmax": ("dim", st.integers(-4, 3), (1.0, None, True, "1")),
}


@st.composite
def activation_cases(draw):
    name = draw(st.sampled_from(sorted(ACTIVATIONS)))
    arg, valid, bad = ACTIVATIONS[name]
    value = maybe_bad(draw, valid, bad=bad) if arg else None
    shape = draw(st.lists(st.integers(0, 3), max_size=3))
    return dict(name=name, arg=arg, value=value, spec=draw(input_spec(shape)),
                backend=draw(backends))


def _rule(c):
    spec, arg, value = c["spec"], c["arg"], c["value"]
    problems = []
    if arg == "dim":
        n = max(len(spec.shape), 1)
        if not (is_int(value, -n) and value < n):
            problems.append("dim")
    elif arg == "approximate" and value not in ("none", "tanh"):
        problems.append("approximate")
    elif arg in ("negative_slope", "alpha") and not is_real(value):
        problems.append(arg)
    if spec.dtype not in ("float32", "float64"):
        problems.append("input")
    return Invalid(*problems) if problems else Valid(spec.shape, spec.dtype)


def _activation(c):
    spec, name = c["spec"], c["name"]
    args = () if c["arg"] is None else (c["value"],)
    x = build(spec, c["backend"])
    difference = ("activations take floating input only" if spec.dtype not in (
        "float32", "float64") else "bool hyper-parameters" if torch_lenient(*args)
        else "Softmax(dim=None) is refused" if c["arg"] == "dim" and c["value"] is None else None)
    check_case(f"{name}{args} on {spec}", lambda watch: getattr(nn, name)(*args)(x), _rule(c),
               inputs=[x], run_torch=lambda: getattr(torch.nn, name)(*args)(to_torch(spec.host())),
               difference=difference, compare_values=spec.finite)


@pytest.mark.parametrize("budget", BUDGETS)
def test_activation_bad_input(budget):
    run_property("layers.activations", activation_cases(), _activation, 600, budget)
