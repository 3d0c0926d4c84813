"""Bad input, tried systematically: ``F.linear``, ``F.conv2d`` and ``F.batch_norm`` with
explicit weights, so weights and statistics of the wrong rank, size, dtype or backend occur.

Rule (torch.nn.functional's documentation): ``linear``: weight (out, in), input (*, in),
bias (out,); ``conv2d``: weight (K, C / groups, R, S) with K divisible by groups, bias (K,);
``batch_norm``: weight, bias and running statistics (C,); all of one floating dtype and one
backend.  Output shapes as for the layers (see :mod:`test_layers`).

Intentional differences from torch (the rule, our documented behaviour, is the oracle):

* ``linear`` needs a 2-D weight and a bias of shape (out,), ``batch_norm`` weights and
  statistics of shape (C,); torch also takes a 1-D ``linear`` weight (a dot product) and
  broadcasts some other shapes (a 0-d bias);
* integer input is refused; torch computes ``linear``/``conv2d`` of integers on the CPU;
* empty input with a broken rule: torch skips some checks when there is nothing to compute;
* tensors of two backends: xpnet raises TypeError (torch: mixed devices; no analogue here).
"""
import pytest
from hypothesis import strategies as st

from xpnet.nn import functional as F

from layer_cases import MIXED, backends, empty_lenient, pool_out
from reliability_oracle import (BUDGETS, Invalid, Valid, backend_of, build, check_case,
                                run_property, specs, torch, to_torch)

FLOATS = st.sampled_from(("float32",) * 6 + ("float64", "int64"))


def _near(draw, shape):
    """``shape``, or one time in ten with an axis one longer or the last axis dropped."""
    shape = list(shape)
    how = draw(st.sampled_from(("same",) * 18 + ("longer", "rank")))
    if how == "longer" and shape:
        shape[draw(st.integers(0, len(shape) - 1))] += 1
    elif how == "rank" and shape:
        shape = shape[:-1]
    return tuple(shape)


@st.composite
def functional_cases(draw):
    fn = draw(st.sampled_from(("linear", "conv2d", "batch_norm")))
    dtype = draw(FLOATS)
    if fn == "linear":
        n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        x_shape = (draw(st.integers(0, 3)), n_in)
        shapes = dict(weight=(n_out, n_in), bias=(n_out,))
    elif fn == "conv2d":
        groups = draw(st.sampled_from((1, 1, 2)))
        C, K = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
        R = draw(st.integers(1, 3))
        x_shape = (draw(st.integers(0, 2)), C, draw(st.integers(R, 5)), draw(st.integers(R, 5)))
        shapes = dict(weight=(K, C // groups, R, R), bias=(K,))
    else:
        C = draw(st.integers(1, 3))
        x_shape = (draw(st.integers(2, 4)), C, draw(st.integers(1, 3)))
        shapes = {k: (C,) for k in ("weight", "bias", "running_mean", "running_var")}
    args = {}
    for name, shape in shapes.items():
        if draw(st.sampled_from((True,) * 5 + (False,))) or name == "weight" and fn != "batch_norm":
            arg_dtype = draw(st.sampled_from((dtype,) * 8 + ("float32", "float64")))
            args[name] = draw(specs(_near(draw, shape), dtype=arg_dtype, allow_special=False))
            if name == "running_var":
                args[name].low, args[name].high = 0.5, 2.0
    return dict(fn=fn, x=draw(specs(x_shape, dtype=dtype)), args=args, backend=draw(backends),
                expected=shapes,
                groups=groups if fn == "conv2d" else 1, training=draw(st.booleans()))


def _rule(c):
    x, a, fn = c["x"], c["args"], c["fn"]
    named = dict(input=x, **a)
    on = {backend_of(s, c["backend"]) for s in named.values()} - {None}
    problems = list(named) if len(on) > 1 else []  # raw arrays join the tensors' backend
    mismatched = [n for n, s in a.items() if s.dtype != x.dtype]
    if mismatched or x.dtype not in ("float32", "float64"):
        problems += ["input"] + mismatched
    w, b = a.get("weight"), a.get("bias")
    if fn == "linear":
        if len(w.shape) != 2 or x.shape[-1] != w.shape[1]:
            problems += ["weight", "input"]
        elif b is not None and b.shape != (w.shape[0],):
            problems.append("bias")
        out = x.shape[:-1] + w.shape[:1] if len(w.shape) == 2 else None
    elif fn == "conv2d":
        g = c["groups"]
        if len(w.shape) != 4 or x.shape[1] != w.shape[1] * g or w.shape[0] % g:
            problems += ["weight", "input", "groups"]
        elif b is not None and b.shape != (w.shape[0],):
            problems.append("bias")
        elif pool_out(x.shape[2], w.shape[2], 1, 0) < 1 or pool_out(x.shape[3], w.shape[3], 1,
                                                                       0) < 1:
            problems.append("input")
        else:
            out = (x.shape[0], w.shape[0], pool_out(x.shape[2], w.shape[2], 1, 0),
                   pool_out(x.shape[3], w.shape[3], 1, 0))
    else:
        problems += [n for n, s in a.items() if s.shape != (x.shape[1],)]
        if ("running_mean" in a) != ("running_var" in a) or not c["training"] and (
                "running_mean" not in a):
            problems += ["running_mean", "running_var"]
        out = x.shape
    return Invalid(*problems) if problems else Valid(out, x.dtype)


def _functional(c):
    backend = c["backend"]
    x = build(c["x"], backend)
    args = {k: build(s, backend) for k, s in c["args"].items()}
    extra = dict(groups=c["groups"]) if c["fn"] == "conv2d" else dict(
        training=c["training"]) if c["fn"] == "batch_norm" else {}
    if c["fn"] == "batch_norm":  # positional, as torch: running statistics may be None
        call = lambda f, t, a: f(t, a.get("running_mean"), a.get("running_var"),  # noqa: E731
                                 a.get("weight"), a.get("bias"), **extra)
    else:
        call = lambda f, t, a: f(t, **a, **extra)  # noqa: E731
    rule = _rule(c)
    reshaped = any(s.shape != c["expected"][k] for k, s in c["args"].items())
    difference = (MIXED if any(s.container == "mixed" for s in [c["x"], *c["args"].values()]) else
                  "weights of exactly their shapes; torch broadcasts some others" if reshaped
                  and c["fn"] in ("linear", "batch_norm") else
                  "integers: xpnet computes in floating point only; torch takes integers on CPU"
                  if c["x"].dtype == "int64" else
                  empty_lenient(c["x"], rule))
    check_case(f"F.{c['fn']}({c})", lambda watch: call(getattr(F, c["fn"]), x, args), rule,
               inputs=[x] + [v for k, v in args.items() if not k.startswith("running") or not (
                   c["training"] and isinstance(rule, Valid))],
               run_torch=lambda: call(getattr(torch.nn.functional, c["fn"]), to_torch(
                   c["x"].host()), {k: to_torch(s.host()) for k, s in c["args"].items()}),
               difference=difference, compare_values=c["x"].finite)


@pytest.mark.parametrize("budget", BUDGETS)
def test_functional_bad_input(budget):
    run_property("functional", functional_cases(), _functional, 500, budget)

