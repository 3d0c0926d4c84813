"""Bad input, tried systematically: the loss modules with their reduction and label options.

Rule (PyTorch's documentation): ``reduction`` is 'mean', 'sum' or 'none'; the input is
floating; element-wise losses (MSE, L1, Huber, BCE, BCE with logits) need a floating target
of the input's shape; class losses take input (N, C[, d1...]) or (C,) with integer targets
(N[, d1...]) or () in [0, C) (or ``ignore_index``), cross entropy also probabilities of the
input's shape; class weights have shape (C,); ``label_smoothing`` in [0, 1], Huber's
``delta`` > 0, the hinge's ``p`` in {1, 2}.  Output: () or, with 'none', the per-element
(per-sample) losses; the input's dtype.

Intentional differences from torch (the rule, our documented behaviour, is the oracle):

* a target of another floating dtype is cast to the input's (torch promotes the result), and so
  are class weights of another dtype (torch refuses them);
  a target of another shape is refused (torch broadcasts element-wise losses, with a warning);
* empty input with a broken rule: torch skips some checks when there is nothing to compute;
  torch's ``MultiMarginLoss`` of an empty batch is uninitialized memory, xpnet's 0 or NaN;
* ``label_smoothing`` outside [0, 1] and ``margin=NaN`` are refused; torch checks the first on
  some paths only, the second never;
* int32 class indices are accepted; torch wants int64;
* no classes (C = 0) with spatial axes or label smoothing: as without them (0 or NaN); torch
  mis-reshapes spatial input and divides the smoothing by C;
* losses take floating input only; torch computes L1/MSE of integers;
* bools as numbers (``ignore_index=True``, ``delta=True``) are refused; torch reads True as 1;
* tensors of two backends: xpnet raises TypeError (torch: mixed devices; no analogue here).
"""
import numpy
import pytest
from hypothesis import strategies as st

from xpnet import nn

from layer_cases import backends, empty_lenient, is_int, is_real, maybe_bad, torch_lenient
from reliability_oracle import (BUDGETS, Invalid, Spec, Valid, build, check_case, run_property,
                                specs, torch, to_torch)

ELEMENTWISE = ("MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss")
CLASS = ("CrossEntropyLoss", "NLLLoss", "MultiMarginLoss")
MIXED = "tensors of two backends: torch has no analogue (mixed devices)"


@st.composite
def loss_cases(draw):
    name = draw(st.sampled_from(ELEMENTWISE + CLASS))
    options = {}
    if name == "HuberLoss":
        options["delta"] = maybe_bad(draw, st.sampled_from((1.0, 0.5, 2)),
                                     bad=(0.0, -1.0, float("nan"), "1", True))
    if name in ("CrossEntropyLoss", "NLLLoss"):
        options["ignore_index"] = maybe_bad(draw, st.sampled_from((-100, 0, 1, -1)),
                                            bad=(1.0, None, True, "0"))
    if name == "CrossEntropyLoss":
        options["label_smoothing"] = maybe_bad(draw, st.sampled_from((0.0, 0.1, 1.0)),
                                               bad=(-0.1, 1.5, float("nan"), "0.1", True))
    if name == "MultiMarginLoss":
        options["p"] = maybe_bad(draw, st.sampled_from((1, 2)), bad=(0, 3, 1.5, True))
        options["margin"] = maybe_bad(draw, st.sampled_from((1.0, 0.5, 0, -1.0)),
                                      bad=(float("nan"), "1", None, True))
    rank = draw(st.sampled_from((1, 2, 2, 3) if name != "MultiMarginLoss" else (1, 2, 2, 3)))
    shape = [draw(st.integers(0 if k == 0 else 1, 3)) for k in range(rank)]
    if draw(st.integers(0, 9)) == 0:
        shape[draw(st.integers(0, rank - 1))] = 0
    low, high = (0.0, 1.0) if name == "BCELoss" and draw(st.integers(0, 9)) else (-3.0, 3.0)
    input_spec = draw(specs(tuple(shape), dtype=draw(st.sampled_from(
        ("float32",) * 6 + ("float64", "float64", "int64", "bool"))), allow_mixed=False))
    input_spec.low, input_spec.high = low, high
    C = shape[0] if rank == 1 else shape[1]
    probabilities = name == "CrossEntropyLoss" and draw(st.booleans())
    if name in CLASS and not probabilities:
        t_shape = [] if rank == 1 else [shape[0]] + shape[2:]
        t_dtype = draw(st.sampled_from(("int64",) * 6 + ("int32", "float32", "bool")))
    else:
        t_shape, t_dtype = list(shape), draw(st.sampled_from(
            ("float32",) * 6 + ("float64", "int64")))
    if draw(st.integers(0, 7)) == 0 and t_shape:  # a wrong target shape
        t_shape[-1] += 1
    target_spec = draw(specs(tuple(t_shape), dtype=t_dtype, allow_special=False))
    if name in CLASS and not probabilities:
        in_range = draw(st.integers(0, 5)) > 0
        target_spec.low, target_spec.high = (0, max(C - 1, 0)) if in_range else (-1, C)
    else:
        target_spec.low, target_spec.high = 0.0, 1.0
    if name in CLASS + ("BCELoss", "BCEWithLogitsLoss") and draw(st.integers(0, 3)) == 0:
        w_len = C if name in CLASS else shape[-1] if shape else 1
        w_len = w_len + 1 if draw(st.integers(0, 5)) == 0 else w_len
        options["weight"] = Spec((w_len,), dtype=draw(st.sampled_from(
            ("float32", "float32", "float64", "int64"))), seed=draw(st.integers(0, 99)),
            low=0.1, high=2.0)
    if name == "BCEWithLogitsLoss" and draw(st.integers(0, 3)) == 0:
        options["pos_weight"] = Spec((shape[-1] if shape else 1,), seed=draw(st.integers(0, 99)),
                                     low=0.1, high=3.0)
    reduction = maybe_bad(draw, st.sampled_from(("mean", "sum", "none")), bad=("avg", None, "Mean"))
    return dict(name=name, reduction=reduction, options=options, input=input_spec,
                target=target_spec, probabilities=probabilities, backend=draw(backends))


def _option_problems(c):
    o, problems = c["options"], []
    if c["reduction"] not in ("mean", "sum", "none"):
        problems.append("reduction")
    if "delta" in o and not (is_real(o["delta"]) and o["delta"] > 0):
        problems.append("delta")
    if "ignore_index" in o and not is_int(o["ignore_index"], -10 ** 9):
        problems.append("ignore_index")
    if "label_smoothing" in o and not (is_real(o["label_smoothing"])
                                       and 0 <= o["label_smoothing"] <= 1):
        problems.append("label_smoothing")
    if "p" in o and (not is_int(o["p"], 1) or o["p"] not in (1, 2)):
        problems.append("p")
    if "margin" in o and not (is_real(o["margin"]) and o["margin"] == o["margin"]):
        problems.append("margin")
    return problems


def _rule(c):
    """The outcome PyTorch's documentation predicts (see the module docstring)."""
    problems = _option_problems(c)
    x, t, name, o = c["input"], c["target"], c["name"], c["options"]
    if x.dtype not in ("float32", "float64"):
        problems.append("input")
    elif name == "BCELoss" and 0 not in x.shape and not ((x.host() >= 0) & (x.host() <= 1)).all():
        problems.append("input")  # probabilities
    # raw NumPy input joins the backend of the tensors it meets; tensors must share one
    raw_input = x.container == "numpy" and c["backend"] == "numpy"
    weights = [k for k in ("weight", "pos_weight") if o.get(k) is not None]
    if t.container == "mixed" and not (raw_input and not weights):
        problems += ["target"] + weights
    C = None if not x.shape else x.shape[0] if len(x.shape) == 1 else x.shape[1]
    if name in ELEMENTWISE or c["probabilities"]:
        if t.dtype not in ("float32", "float64") or t.shape != x.shape:
            problems.append("target")
        per_element = x.shape if name in ELEMENTWISE else x.shape[:1] + x.shape[2:] if len(
            x.shape) > 1 else ()
        if (c["probabilities"] and is_int(o.get("ignore_index"), 0)
                and "ignore_index" not in problems):
            problems.append("ignore_index")
    else:
        if name == "MultiMarginLoss" and len(x.shape) > 2:
            problems.append("input")
        want = () if len(x.shape) == 1 else x.shape[:1] + x.shape[2:]
        if t.dtype not in ("int32", "int64") or t.shape != want:
            problems.append("target")
        elif 0 not in t.shape:
            values = t.host()
            allowed = (values >= 0) & (values < C)
            if "ignore_index" in o and is_int(o["ignore_index"], -10 ** 9):
                allowed |= values == o["ignore_index"]
            if not allowed.all():
                problems.append("target")
        per_element = want
    for key in ("weight", "pos_weight"):
        w = o.get(key)
        if w is None:
            continue
        if key == "weight" and name in CLASS and w.shape != (C,):
            problems.append(key)
        elif name not in CLASS and (not x.shape or w.shape[0] not in (1, x.shape[-1])):
            problems.append(key)
        elif w.dtype not in ("float32", "float64", "int64"):
            problems.append(key)
    if problems:
        return Invalid(*problems)
    return Valid(per_element if c["reduction"] == "none" else (), x.dtype)


def _loss(c):
    backend, o = c["backend"], c["options"]
    x, t = build(c["input"], backend), build(c["target"], backend)
    options = {k: build(v, backend) if isinstance(v, Spec) else v for k, v in o.items()}

    def run(watch):
        return watch(getattr(nn, c["name"])(reduction=c["reduction"], **options))(x, t)

    def run_torch():
        t_options = {k: to_torch(v.host()) if isinstance(v, Spec) else v for k, v in o.items()}
        loss = getattr(torch.nn, c["name"])(reduction=c["reduction"], **t_options)
        return loss(to_torch(c["input"].host()), to_torch(c["target"].host()))
    rule = _rule(c)
    check_case(f"{c['name']}({c['reduction']!r}, {o}) on {c['input']}, {c['target']}", run, rule,
               inputs=[x, t] + [v for v in options.values() if not isinstance(
                   v, (int, float, str, type(None)))],
               run_torch=run_torch, difference=_difference(c, rule),
               compare_values=c["input"].finite)


def _difference(c, rule):
    x, t = c["input"], c["target"]
    if "mixed" in (x.container, t.container):
        return MIXED
    if torch_lenient(*[v for v in c["options"].values() if not isinstance(v, Spec)]):
        return "bools as numbers"
    if (c["name"] in ELEMENTWISE or c["probabilities"]) and (
            t.dtype != x.dtype or t.shape != x.shape):
        return "xpnet casts a target to the input's dtype and refuses other shapes"
    o = c["options"]
    if "label_smoothing" in o and "label_smoothing" in getattr(rule, "names", ()):
        return "torch does not check label_smoothing's range on every path"
    if x.dtype not in ("float32", "float64"):
        return "losses take floating input only; torch computes some (L1, MSE) on integers"
    if c["name"] in CLASS and not c["probabilities"] and t.dtype == "int32":
        return "xpnet takes int32 class indices too; torch wants int64"
    if "margin" in o and is_real(o["margin"]) and o["margin"] != o["margin"]:
        return "MultiMarginLoss refuses margin=NaN; torch does not check"
    if c["name"] == "MultiMarginLoss" and 0 in x.shape and c["reduction"] != "none":
        return "an empty batch: 0 / NaN (as every xpnet loss); torch's hinge returns garbage"
    C = x.shape[0] if len(x.shape) == 1 else x.shape[1]
    if c["name"] in ("CrossEntropyLoss", "NLLLoss") and C == 0 and (
            len(x.shape) > 2 or o.get("label_smoothing")):
        return ("no classes: torch's nll_loss2d mis-reshapes spatial input, and its label "
                "smoothing divides by C = 0")
    if any(isinstance(w, Spec) and w.dtype != x.dtype for w in o.values()):
        return "class weights are cast to the input's dtype; torch wants them in it"
    return empty_lenient(x, rule)


@pytest.mark.parametrize("budget", BUDGETS)
def test_loss_bad_input(budget):
    run_property("losses", loss_cases(), _loss, 1000, budget)


def test_class_weights_are_copied():
    """A loss keeps its own copy of the class weights: changing the array later changes nothing."""
    w = numpy.array([1.0, 2.0], numpy.float32)
    loss = nn.CrossEntropyLoss(weight=w)
    w[0] = 5.0
    assert loss.weight.numpy()[0] == 1.0
