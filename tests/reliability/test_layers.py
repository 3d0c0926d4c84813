"""Bad input, tried systematically: the layers with parameters, Linear, Conv2d, BatchNorm1d/2d.

Each property draws a configuration and an input (valid and invalid alike),
predicts the outcome with PyTorch's documented rule and checks xpnet against
it and against torch (see :mod:`reliability_oracle`).

Intentional differences from torch (the rule, our documented behaviour, is the oracle):

* bools and 1-tuples as sizes (``stride=True``, ``stride=(2,)``) are refused; torch reads them
  as 1 and (2, 2);
* conv takes batched (N, C, H, W) input only; torch also takes unbatched (C, H, W);
* BatchNorm's ``eps`` must be > 0 and ``momentum`` in [0, 1]; torch checks neither;
* BatchNorm without affine parameters and running statistics: torch does not check the input's
  channel count (nor ``num_features > 0``); xpnet does;
* BatchNorm in training refuses an empty batch; torch returns an empty output (and NaN running
  statistics);
* empty input with a broken rule (dtype, channels, rank, dilation=0...): torch skips some of
  its checks when there is nothing to compute; xpnet checks all the same;
* tensors of two backends: xpnet raises TypeError (torch raises on mixed devices; no analogue here).
"""
import numpy
from hypothesis import strategies as st

import xpnet
from xpnet import nn

from layer_cases import (LENIENT, MIXED, UNBATCHED, as_pair, backends, empty_lenient,
                         input_problem, input_spec, is_int, is_real, maybe_bad, pool_out,
                         torch_lenient)
from reliability_oracle import Invalid, Valid, build, check_case, property_tests, torch, to_torch

EMPTY_TRAINING = ("BatchNorm refuses empty input in training: torch returns an empty output "
                  "and NaN running statistics")


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


test_layer_bad_input = property_tests("layers", {
    "linear": (linear_cases(), _linear, 300),
    "conv2d": (conv_cases(), _conv, 600),
    "batchnorm": (batchnorm_cases(), _batchnorm, 500),
})
