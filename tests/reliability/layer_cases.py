"""Drawing hyper-parameters and inputs for the layer properties, and PyTorch's shape rules.

Hyper-parameters are drawn valid most of the time and otherwise from a list
of bad values (zero, negative, float, bool, NaN, wrong type); inputs get a
shape near the valid one (wrong rank, channel mismatch, zero-size axes)
and any dtype, values, layout and backend (see :class:`reliability_oracle.Spec`).
"""
from __future__ import annotations

import math
import numbers

from hypothesis import strategies as st

from reliability_oracle import BACKENDS, Invalid, Spec, specs

# the reasons, shared by the layer properties, why torch is no oracle for a case
MIXED = "tensors of two backends: torch has no analogue (mixed devices)"
LENIENT = "torch reads True as 1 and (k,) as (k, k); xpnet refuses both"
UNBATCHED = ("xpnet takes batched (N, C, H, W) input only; torch also takes (C, H, W) (and "
             "adaptive pooling more leading axes)")

#: values a size-like hyper-parameter (an int >= some minimum) must refuse
BAD_INTS = (0, -1, 2.0, 1.5, True, "2", None, float("nan"))
#: values a real hyper-parameter (a float) must refuse or treat by its range
BAD_REALS = (-1.0, float("nan"), float("inf"), "0.1", None, [0.1])


def maybe_bad(draw, valid, bad=BAD_INTS, one_in=10):
    """``valid`` (a strategy), or one time in ``one_in`` one of ``bad``.

    (A sampled flag, not ``floats(0, 1) < p``: hypothesis favours 0.0, which would make
    nearly every hyper-parameter bad.)"""
    if draw(st.sampled_from((False,) * (one_in - 1) + (True,))):
        return draw(st.sampled_from(bad))
    return draw(valid)


def is_int(v, minimum) -> bool:
    """PyTorch's size rule as xpnet states it: an int (not a bool) >= ``minimum``."""
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def as_pair(v, minimum):
    """``v`` (int or pair) as a pair of ints >= ``minimum``, or None if it is not one."""
    items = (v, v) if not isinstance(v, (tuple, list)) else tuple(v)
    if len(items) != 2 or not all(is_int(i, minimum) for i in items):
        return None
    return items


def is_real(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def torch_lenient(*values) -> bool:
    """True if torch reads one of ``values`` where xpnet refuses it (an intentional
    difference): a bool as a number (True as 1), or a 1-tuple as a pair ((2,) as (2, 2))."""
    flat = [i for v in values for i in (v if isinstance(v, (tuple, list)) else (v,))]
    return (any(isinstance(v, bool) for v in flat)
            or any(isinstance(v, (tuple, list)) and len(v) == 1 for v in values))


def pool_out(size, kernel, stride, padding, dilation=1):
    """PyTorch's output length: ``floor((H + 2p - d(k - 1) - 1) / s) + 1``."""
    return math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1


@st.composite
def input_spec(draw, valid_shape, channel_axis=None, ranks=None, zero_ok=True):
    """An input :class:`Spec` near ``valid_shape``: sometimes another rank, a wrong
    channel count or zero-size axes."""
    shape = list(valid_shape)
    mutation = draw(st.sampled_from(("none",) * 9 + ("rank", "channels", "zero")))
    if mutation == "rank":
        rank = draw(st.sampled_from(ranks or (max(len(shape) - 1, 0), len(shape) + 1)))
        shape = (shape + [2] * rank)[:rank]
    elif mutation == "channels" and channel_axis is not None and len(shape) > channel_axis:
        shape[channel_axis] = draw(st.sampled_from((shape[channel_axis] + 1, 0)))
    elif mutation == "zero" and zero_ok and shape:
        shape[draw(st.integers(0, len(shape) - 1))] = 0
    return draw(specs(tuple(shape)))


backends = st.sampled_from(BACKENDS)


def empty_lenient(spec: Spec, rule):
    """The reason torch is no oracle for a ``rule``-invalid input that is empty, else None."""
    if isinstance(rule, Invalid) and 0 in spec.shape:
        return "torch skips some checks when the input is empty; xpnet does not"
    return None


def input_problem(spec: Spec, layer_dtype="float32"):
    """Problems of an input with a float32 layer: the backend mixture, the dtype."""
    if spec.container == "mixed":
        return "input"
    if spec.dtype != layer_dtype:
        return "input"
    return None
