"""Bad input, tried systematically: Linear, Conv2d, BatchNorm1d/2d, pooling, Dropout, Flatten.

Each property draws a configuration and an input (valid and invalid alike),
predicts the outcome with PyTorch's documented rule and checks xpnet against
it and against torch (see :mod:`reliability_oracle`).

Intentional differences from torch (the rule, our documented behaviour, is the oracle):

* bools and 1-tuples as sizes (``stride=True``, ``stride=(2,)``) are refused; torch reads them
  as 1 and (2, 2);
* conv and pooling take batched (N, C, H, W) input only; torch also takes unbatched (C, H, W)
  (and its adaptive pooling more leading axes);
* pooling, like every xpnet layer, takes floating input; torch max-pools integers;
* BatchNorm's ``eps`` must be > 0 and ``momentum`` in [0, 1]; torch checks neither;
* ``Dropout(p)`` refuses NaN and bools; torch lets them through its range check; dropout takes
  floating input only (torch passes integers through in eval mode);
* ``AdaptiveAvgPool2d(0)`` is refused; torch returns an empty output;
* BatchNorm without affine parameters and running statistics: torch does not check the input's
  channel count (nor ``num_features > 0``); xpnet does;
* BatchNorm in training refuses an empty batch; torch returns an empty output (and NaN running
  statistics);
* empty input with a broken rule (dtype, channels, rank, dilation=0...): torch skips some of
  its checks when there is nothing to compute; xpnet checks all the same;
* tensors of two backends: xpnet raises TypeError (torch raises on mixed devices; no analogue here).
"""
import numpy
import pytest
from hypothesis import strategies as st

import xpnet
from xpnet import nn

from layer_cases import (as_pair, backends, empty_lenient, input_problem, input_spec, is_int,
                         is_real, maybe_bad, pool_out, torch_lenient)
from reliability_oracle import (BUDGETS, Invalid, Valid, build, check_case, run_property, torch,
                                to_torch)

MIXED = "tensors of two backends: torch has no analogue (mixed devices)"
LENIENT = "torch reads True as 1 and (k,) as (k, k); xpnet refuses both"
EMPTY_TRAINING = ("BatchNorm refuses empty input in training: torch returns an empty output "
                  "and NaN running statistics")
UNBATCHED = ("xpnet takes batched (N, C, H, W) input only; torch also takes (C, H, W) (and "
             "adaptive pooling more leading axes)")


def _copy_params(xp_module, t_module):
    """Give the torch module the xpnet module's parameters (so values can be compared)."""
    with torch.no_grad():
        for name, p in xp_module.named_parameters():
            getattr(t_module, name).copy_(torch.from_numpy(p.numpy()))


# --------------------------------------------------------------------------- #
# Linear
# --------------------------------------------------------------------------- #
@st.composite
def linear_cases(draw):
    in_f = maybe_bad(draw, st.integers(0, 4))
    out_f = maybe_bad(draw, st.integers(0, 4))
    lead = draw(st.lists(st.integers(0, 3), max_size=2))
    last = in_f if is_int(in_f, 0) else 2
    spec = draw(input_spec(lead + [last], channel_axis=len(lead), ranks=(0, 1, 3)))
    return dict(in_f=in_f, out_f=out_f, bias=draw(st.booleans()), spec=spec,
                backend=draw(backends))


def _linear(c):
    in_f, out_f, spec = c["in_f"], c["out_f"], c["spec"]
    problems = [n for n, v in (("in_features", in_f), ("out_features", out_f)) if not is_int(v, 0)]
    if not problems and (not spec.shape or spec.shape[-1] != in_f or input_problem(spec)):
        problems.append("input")
    rule = (Invalid(*problems) if problems else
            Valid(spec.shape[:-1] + (out_f,), "float32"))
    x = build(spec, c["backend"])
    made = {}

    def run(watch):
        with xpnet.use_backend(c["backend"]):
            made["m"] = watch(nn.Linear(in_f, out_f, bias=c["bias"]))
        return made["m"](x)

    def run_torch():
        m = torch.nn.Linear(in_f, out_f, bias=c["bias"])
        if "m" in made:
            _copy_params(made["m"], m)
        return m(to_torch(spec.host()))
    difference = MIXED if spec.container == "mixed" else (
        LENIENT if torch_lenient(in_f, out_f) else None)
    check_case(f"Linear({in_f}, {out_f}) on {spec}", run, rule, inputs=[x], run_torch=run_torch,
               difference=difference, compare_values=spec.finite)


# --------------------------------------------------------------------------- #
# Conv2d
# --------------------------------------------------------------------------- #
@st.composite
def conv_cases(draw):
    groups = maybe_bad(draw, st.sampled_from((1, 1, 2)), bad=(0, -1, True, 1.0))
    g = groups if is_int(groups, 1) else 1
    in_c = maybe_bad(draw, st.integers(1, 2).map(lambda k: k * g))
    out_c = maybe_bad(draw, st.integers(1, 3).map(lambda k: k * g))
    kernel = maybe_bad(draw, st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3),
                                                                     st.integers(1, 3))),
                       bad=(0, -1, 2.0, True, (1, 2, 3), "3"))
    stride = maybe_bad(draw, st.integers(1, 3), bad=(0, -1, 1.0, True, (1,)))
    padding = maybe_bad(draw, st.one_of(st.integers(0, 2), st.sampled_from(("same", "valid"))),
                        bad=(-1, 1.0, "full", (0, 0, 0), True))
    dilation = maybe_bad(draw, st.integers(1, 2), bad=(0, -1, 1.5))
    c = in_c if is_int(in_c, 1) else 2
    shape = [draw(st.integers(0, 2)), c, draw(st.integers(1, 6)), draw(st.integers(1, 6))]
    spec = draw(input_spec(shape, channel_axis=1, ranks=(3, 5)))
    return dict(in_c=in_c, out_c=out_c, kernel=kernel, stride=stride, padding=padding,
                dilation=dilation, groups=groups, bias=draw(st.booleans()), spec=spec,
                backend=draw(backends))


def _conv_rule(c):
    """torch.nn.Conv2d's rule: sizes, divisibility by groups, and
    out = floor((H + 2p - d(k - 1) - 1) / s) + 1 >= 1 ('same': out = H, stride 1 only)."""
    problems = [n for n in ("in_c", "out_c", "groups") if not is_int(c[n], 1)]
    problems = [{"in_c": "in_channels", "out_c": "out_channels"}.get(n, n) for n in problems]
    if not problems and (c["in_c"] % c["groups"] or c["out_c"] % c["groups"]):
        problems.append("groups")
    kernel, stride, dilation = (as_pair(c[n], 1) for n in ("kernel", "stride", "dilation"))
    problems += [n for n, v in (("kernel_size", kernel), ("stride", stride),
                                ("dilation", dilation)) if v is None]
    padding = c["padding"]
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            problems.append("padding")
        elif padding == "same" and stride not in (None, (1, 1)):
            problems += ["padding", "stride"]
        padding = (0, 0) if padding == "valid" else padding
    elif as_pair(padding, 0) is None:
        problems.append("padding")
    else:
        padding = as_pair(padding, 0)
    if problems:
        return Invalid(*problems)
    spec = c["spec"]
    if len(spec.shape) != 4 or spec.shape[1] != c["in_c"] or input_problem(spec):
        return Invalid("input")
    n, _, h, w = spec.shape
    if h == 0 or w == 0:  # only the batch may be empty
        return Invalid("input")
    if padding == "same":
        out = (h, w)
    else:
        out = tuple(pool_out(s, k, st_, p, d)
                    for s, k, st_, p, d in zip((h, w), kernel, stride, padding, dilation))
    if min(out) < 1:
        return Invalid("input", "kernel")
    return Valid((n, c["out_c"]) + out, "float32")


def _conv(c):
    spec = c["spec"]
    x = build(spec, c["backend"])
    made = {}
    args = dict(kernel_size=c["kernel"], stride=c["stride"], padding=c["padding"],
                dilation=c["dilation"], groups=c["groups"], bias=c["bias"])

    def run(watch):
        with xpnet.use_backend(c["backend"]):
            made["m"] = watch(nn.Conv2d(c["in_c"], c["out_c"], **args))
        return made["m"](x)

    def run_torch():
        m = torch.nn.Conv2d(c["in_c"], c["out_c"], **args)
        if "m" in made:
            _copy_params(made["m"], m)
        return m(to_torch(spec.host()))
    rule = _conv_rule(c)
    difference = (MIXED if spec.container == "mixed" else UNBATCHED if len(spec.shape) == 3
                  else LENIENT if torch_lenient(*[c[k] for k in (
                      "in_c", "out_c", "kernel", "stride", "padding", "dilation", "groups")])
                  else empty_lenient(spec, rule))
    check_case(f"Conv2d({c}) on {spec}", run, rule, inputs=[x], run_torch=run_torch,
               difference=difference, compare_values=spec.finite)


# --------------------------------------------------------------------------- #
# BatchNorm1d / BatchNorm2d, train and eval
# --------------------------------------------------------------------------- #
@st.composite
def batchnorm_cases(draw):
    two_d = draw(st.booleans())
    features = maybe_bad(draw, st.integers(1, 3))
    eps = maybe_bad(draw, st.sampled_from((1e-5, 1e-3)), bad=(0.0, -1e-5, float("nan"), "1e-5"))
    momentum = maybe_bad(draw, st.sampled_from((0.1, 0.5, None, 0.0, 1.0)),
                         bad=(-0.1, 1.5, float("nan"), "0.1"))
    c = features if is_int(features, 1) else 2
    spatial = [draw(st.integers(1, 3)) for _ in range(2 if two_d else draw(st.integers(0, 1)))]
    shape = [draw(st.integers(1, 4)), c] + spatial
    spec = draw(input_spec(shape, channel_axis=1, ranks=(1, 5)))
    return dict(two_d=two_d, features=features, eps=eps, momentum=momentum, spec=spec,
                affine=draw(st.booleans()), track=draw(st.booleans()),
                training=draw(st.booleans()), backend=draw(backends))


def _batchnorm_rule(c):
    """torch's rule: num_features a positive int; input (N, C[, L]) / (N, C, H, W) with C =
    num_features; in training (or without running stats) more than one value per channel."""
    problems = [] if is_int(c["features"], 1) else ["num_features"]
    if not (is_real(c["eps"]) and c["eps"] > 0):
        problems.append("eps")
    momentum = c["momentum"]
    if momentum is not None and not (is_real(momentum) and 0 <= momentum <= 1):
        problems.append("momentum")
    if problems:
        return Invalid(*problems)
    spec = c["spec"]
    ranks = (4,) if c["two_d"] else (2, 3)
    holds_tensors = c["affine"] or c["track"]
    if len(spec.shape) not in ranks or spec.shape[1] != c["features"] or not spec.dtype.startswith(
            "float") or (holds_tensors and input_problem(spec)):
        return Invalid("input")
    per_channel = numpy.prod(spec.shape) // spec.shape[1]
    if (c["training"] or not c["track"]) and per_channel <= 1:
        return Invalid("input")
    return Valid(spec.shape, "float32" if holds_tensors else spec.dtype)


def _batchnorm(c):
    spec = c["spec"]
    x = build(spec, c["backend"])
    cls = (nn.BatchNorm2d, torch.nn.BatchNorm2d if torch else None) if c["two_d"] else (
        nn.BatchNorm1d, torch.nn.BatchNorm1d if torch else None)
    args = dict(eps=c["eps"], momentum=c["momentum"], affine=c["affine"],
                track_running_stats=c["track"])
    made = {}

    def run(watch):
        with xpnet.use_backend(c["backend"]):
            m = cls[0](c["features"], **args)
        m.train(c["training"])
        made["m"] = watch(m)
        return m(x)

    def run_torch():
        m = cls[1](c["features"], **args).train(c["training"])
        return m(to_torch(spec.host()))
    eps, momentum = c["eps"], c["momentum"]
    rule = _batchnorm_rule(c)
    documented = ((is_real(eps) and eps <= 0) or (is_real(momentum) and not 0 <= momentum <= 1)
                  or (isinstance(eps, float) and eps != eps))
    difference = (MIXED if spec.container == "mixed" else
                  "BatchNorm checks eps > 0 and momentum in [0, 1]; torch does not" if documented
                  else LENIENT if torch_lenient(c["features"])
                  else "torch does not check the input's channels against num_features when the "
                  "layer holds no tensors (affine=False, track_running_stats=False)"
                  if not (c["affine"] or c["track"]) else EMPTY_TRAINING
                  if 0 in spec.shape and (c["training"] or not c["track"])
                  else empty_lenient(spec, rule))
    check_case(f"{cls[0].__name__}({c}) on {spec}", run, rule, inputs=[x],
               run_torch=run_torch, difference=difference, compare_values=spec.finite)


# --------------------------------------------------------------------------- #
# MaxPool2d, AvgPool2d, AdaptiveAvgPool2d
# --------------------------------------------------------------------------- #
@st.composite
def pool_cases(draw):
    kind = draw(st.sampled_from(("max", "avg", "adaptive")))
    kernel = maybe_bad(draw, st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3),
                                                                     st.integers(1, 3))),
                       bad=(0, -1, 2.0, True, (1, 2, 3)))
    stride = maybe_bad(draw, st.one_of(st.none(), st.integers(1, 3)), bad=(0, -2, 1.5))
    padding = maybe_bad(draw, st.integers(0, 1), bad=(-1, 2, 1.0))
    shape = [draw(st.integers(0, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 5)),
             draw(st.integers(1, 5))]
    return dict(kind=kind, kernel=kernel, stride=stride, padding=padding,
                count_include_pad=draw(st.booleans()),
                spec=draw(input_spec(shape, ranks=(3, 5))), backend=draw(backends))


def _pool_rule(c):
    """torch's rule: kernel/stride >= 1, 0 <= padding <= kernel // 2, every non-batch axis
    non-empty, out = floor((H + 2p - k) / s) + 1 >= 1; adaptive: output_size >= 1."""
    kernel = as_pair(c["kernel"], 1)
    problems = ["kernel_size", "output_size"] if kernel is None else []
    if c["kind"] != "adaptive":
        stride = kernel if c["stride"] is None else as_pair(c["stride"], 1)
        padding = as_pair(c["padding"], 0)
        if c["stride"] is not None and stride is None:
            problems.append("stride")
        if padding is None or (kernel and any(p > k // 2 for p, k in zip(padding, kernel))):
            problems.append("padding")
    spec = c["spec"]
    if len(spec.shape) != 4 or 0 in spec.shape[1:] or spec.dtype not in ("float32", "float64"):
        problems.append("input")
    if problems:
        return Invalid(*problems)
    out = kernel
    if c["kind"] != "adaptive":
        out = tuple(pool_out(s, k, st_, p) for s, k, st_, p in zip(spec.shape[2:], kernel,
                                                                    stride, padding))
        if min(out) < 1:
            return Invalid("input", "kernel")
    return Valid(spec.shape[:2] + tuple(out), spec.dtype)


def _pool(c):
    spec = c["spec"]
    x = build(spec, c["backend"])
    if c["kind"] == "adaptive":
        make = lambda lib: lib.AdaptiveAvgPool2d(c["kernel"])  # noqa: E731
    elif c["kind"] == "max":
        make = lambda lib: lib.MaxPool2d(c["kernel"], c["stride"], c["padding"])  # noqa: E731
    else:
        make = lambda lib: lib.AvgPool2d(c["kernel"], c["stride"], c["padding"],  # noqa: E731
                                         count_include_pad=c["count_include_pad"])

    def run(watch):
        return make(nn)(x)
    rule = _pool_rule(c)
    difference = (UNBATCHED if len(spec.shape) == 3 or (c["kind"] == "adaptive"
                                                         and len(spec.shape) > 4)
                  else LENIENT if torch_lenient(c["kernel"], c["stride"], c["padding"])
                  else "AdaptiveAvgPool2d refuses output_size 0" if c["kind"] == "adaptive"
                  and c["kernel"] in (0, (0, 0))
                  else "xpnet pools floating input only" if spec.dtype not in ("float32", "float64")
                  else empty_lenient(spec, rule))
    check_case(f"{c['kind']} pool {c} on {spec}", run, rule, inputs=[x],
               run_torch=lambda: make(torch.nn)(to_torch(spec.host())), difference=difference,
               compare_values=spec.finite)


# --------------------------------------------------------------------------- #
# Dropout, Flatten
# --------------------------------------------------------------------------- #
@st.composite
def dropout_cases(draw):
    p = maybe_bad(draw, st.sampled_from((0.0, 0.5, 1.0, 0.25)),
                  bad=(-0.1, 1.5, float("nan"), "0.5", None, True))
    shape = draw(st.lists(st.integers(0, 3), max_size=3))
    return dict(p=p, training=draw(st.booleans()), spec=draw(input_spec(shape)),
                backend=draw(backends))


def _dropout(c):
    p, spec = c["p"], c["spec"]
    x = build(spec, c["backend"])
    if not is_real(p) or not 0 <= p <= 1:
        rule = Invalid("p")
    elif spec.dtype not in ("float32", "float64"):
        rule = Invalid("input")
    else:
        rule = Valid(spec.shape, spec.dtype)

    def run(watch):
        return nn.Dropout(p).train(c["training"])(x)

    def run_torch():
        return torch.nn.Dropout(p).train(c["training"])(to_torch(spec.host()))
    deterministic = not c["training"] or p in (0.0, 1.0)
    difference = ("Dropout refuses NaN and bool p" if torch_lenient(p) or p != p else
                  "dropout takes floating input only (torch: ints pass in eval mode)"
                  if spec.dtype not in ("float32", "float64") else None)
    check_case(f"Dropout({p!r}, training={c['training']}) on {spec}", run, rule, inputs=[x],
               run_torch=run_torch, difference=difference,
               compare_values=spec.finite and deterministic)


@st.composite
def flatten_cases(draw):
    shape = draw(st.lists(st.integers(0, 3), max_size=4))
    n = max(len(shape), 1)
    dims = [maybe_bad(draw, st.integers(-n, n - 1), bad=(n, -n - 1, 1.0, True, None, "1"))
            for _ in range(2)]
    return dict(start=dims[0], end=dims[1], spec=draw(input_spec(shape)), backend=draw(backends))


def _flatten_rule(c):
    """torch.flatten: dims in [-n, n) (n = max(ndim, 1)), start <= end after wrapping."""
    start, end, spec = c["start"], c["end"], c["spec"]
    for name, v in (("start_dim", start), ("end_dim", end)):
        if not is_int(v, -10):
            return Invalid(name)
    n = max(len(spec.shape), 1)
    for name, v in (("start_dim", start), ("end_dim", end)):
        if not -n <= v < n:
            return Invalid(name)
    s, e = start % n, end % n
    if s > e:
        return Invalid("start_dim", "end_dim")
    shape = spec.shape
    if not shape:
        return Valid((1,), spec.dtype)
    return Valid(shape[:s] + (int(numpy.prod(shape[s:e + 1])),) + shape[e + 1:], spec.dtype)


def _flatten(c):
    spec = c["spec"]
    x = build(spec, c["backend"])
    check_case(f"Flatten({c['start']!r}, {c['end']!r}) on {spec}",
               lambda watch: nn.Flatten(c["start"], c["end"])(xpnet.tensor(x) if isinstance(
                   x, numpy.ndarray) else x), _flatten_rule(c), inputs=[x],
               run_torch=lambda: torch.nn.Flatten(c["start"], c["end"])(to_torch(spec.host())),
               difference=LENIENT if torch_lenient(c["start"], c["end"]) else None)


PROPERTIES = {
    "linear": (linear_cases(), _linear, 300),
    "conv2d": (conv_cases(), _conv, 600),
    "batchnorm": (batchnorm_cases(), _batchnorm, 500),
    "pooling": (pool_cases(), _pool, 500),
    "dropout": (dropout_cases(), _dropout, 200),
    "flatten": (flatten_cases(), _flatten, 200),
}


@pytest.mark.parametrize("budget", BUDGETS)
@pytest.mark.parametrize("name", list(PROPERTIES))
def test_layer_bad_input(name, budget):
    strategy, body, examples = PROPERTIES[name]
    run_property(f"layers.{name}", strategy, body, examples, budget)
