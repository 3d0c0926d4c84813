"""Bad input, tried systematically: the layers without parameters, pooling, Dropout, Flatten.

Same scheme as :mod:`test_layers`: each property draws a configuration and an input, predicts
the outcome with PyTorch's documented rule and checks xpnet against it and against torch.
With no parameters there is no backend to mix: a tensor of any backend is computed there.

Intentional differences from torch (the rule, our documented behaviour, is the oracle):

* bools and 1-tuples as sizes are refused; torch reads them as 1 and (k, k);
* pooling takes batched (N, C, H, W) input only; torch also takes unbatched (C, H, W) (and its
  adaptive pooling more leading axes);
* pooling, like every xpnet layer, takes floating input; torch max-pools integers;
* ``AdaptiveAvgPool2d(0)`` is refused; torch returns an empty output;
* ``Dropout(p)`` refuses NaN and bools; torch lets them through its range check; dropout takes
  floating input only (torch passes integers through in eval mode);
* empty input with a broken rule: torch skips some of its checks when there is nothing to
  compute; xpnet checks all the same.
"""
import numpy
from hypothesis import strategies as st

import xpnet
from xpnet import nn

from layer_cases import (LENIENT, UNBATCHED, as_pair, backends, empty_lenient, input_spec, is_int,
                         is_real, maybe_bad, pool_out, torch_lenient)
from reliability_oracle import Invalid, Valid, build, check_case, property_tests, torch, to_torch


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


test_parameterless_layer_bad_input = property_tests("layers", {
    "pooling": (pool_cases(), _pool, 500),
    "dropout": (dropout_cases(), _dropout, 200),
    "flatten": (flatten_cases(), _flatten, 200),
})
