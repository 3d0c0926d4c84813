"""Shared pieces of the loss functions: argument checks, reductions, the elementwise-loss op."""
from __future__ import annotations

import math
import numbers

from ...autograd.function import as_tensors, record
from ...autograd.tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")

# --------------------------------------------------------------------------- #
# argument checks (all run before anything is computed)
# --------------------------------------------------------------------------- #


def check_reduction(fn, reduction):
    """Raise ``ValueError`` unless ``reduction`` is ``'mean'``, ``'sum'`` or ``'none'``."""
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of 'mean', 'sum', 'none'; "
                         f"got {reduction!r}")


def check_number(fn, arg, value, low=None, high=None, low_open=False):
    """Raise unless ``value`` is a real number in ``[low, high]`` (``(low, ...`` if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {arg} must be a real number; got {value!r}")
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and value > high
    if below or above or value != value:  # value != value: NaN
        rule = (f"in {'(' if low_open else '['}{low}, {high}]" if high is not None else
                f"{'>' if low_open else '>='} {low}" if low is not None else "not NaN")
        raise ValueError(f"{fn}: {arg} must be {rule}; got {value!r}")


def check_p(fn, p):
    """Raise unless ``p`` (the hinge exponent) is 1 or 2."""
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"{fn}: p must be 1 or 2; got {p!r}")


def check_ignore_index(fn, ignore_index):
    """Raise unless ``ignore_index`` is an int (any value; negative ones never match a class)."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"{fn}: ignore_index must be an int; got {ignore_index!r}")


def _input_and_target(fn, input, target):
    x, t = as_tensors(input, target, names=("input", "target"))
    for arg, v in (("input", x), ("target", t)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{fn}: {arg} must be a tensor or array; got {type(v).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: input must have a floating-point dtype; got {x.dtype}")
    return x, t


def _float_target(fn, x, t):
    """Check a target of real values: floating, the input's shape; cast to the input's dtype."""
    if t.dtype.kind != "f":
        raise TypeError(f"{fn}: target must have a floating-point dtype (values/probabilities); "
                        f"got {t.dtype} (convert with target.float())")
    if t.shape != x.shape:
        raise ValueError(f"{fn}: target must have the shape of input {x.shape}; got {t.shape}")
    return t if t.dtype == x.dtype else t.to(x.dtype)


def _num_classes(x):
    """C: axis 0 of a (C,) input, axis 1 of (N, C, d1, ...)."""
    return x.shape[0 if x.ndim == 1 else 1]


def _constant(fn, arg, value, x, shape=None):
    """``value`` (weights: tensor, array or list) as a raw array of ``x``'s dtype, shape-checked.

    With ``shape`` it must be exactly that; otherwise it must broadcast to
    ``x.shape`` without enlarging it.  A tensor of another backend is a TypeError.
    """
    w, _ = as_tensors(value, x, names=(arg, "input"))
    if not isinstance(w, Tensor) or w.dtype.kind not in "fiu":
        raise TypeError(f"{fn}: {arg} must be a numeric tensor or array; got "
                        f"{getattr(w, 'dtype', type(w).__name__)}")
    if shape is not None:
        if w.shape != tuple(shape):
            raise ValueError(f"{fn}: {arg} must have shape (C,) = {tuple(shape)} for input of "
                             f"shape {x.shape}; got {w.shape}")
    elif len(w.shape) > x.ndim or any(
            a != 1 and a != b for a, b in zip(reversed(w.shape), reversed(x.shape))):
        raise ValueError(f"{fn}: {arg} must broadcast to the input's shape {x.shape}; "
                         f"got shape {w.shape}")
    return w.data if w.dtype == x.dtype else x.backend.xp.astype(w.data, x.data.dtype)


def _first_where(xp, mask, values, convert):
    """``convert`` (int or float) of the first element of ``values`` where ``mask`` holds (errors)."""
    first = int(xp.argmax(xp.astype(xp.reshape(mask, (-1,)), xp.int8)))
    return convert(xp.reshape(values, (-1,))[first])


# --------------------------------------------------------------------------- #
# reduction, shared by every loss
# --------------------------------------------------------------------------- #


def _reduce(xp, loss, reduction, denom):
    """``loss`` itself (``'none'``), its sum, or its sum divided by ``denom`` (``'mean'``)."""
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    return total if reduction == "sum" else total / denom


def _upstream(g, reduction, denom):
    """The gradient of each per-element loss: ``g`` (``'none'``, ``'sum'``) or ``g / denom``."""
    return g / denom if reduction == "mean" else g


# --------------------------------------------------------------------------- #
# element-wise losses: l_i = f(x_i, y_i)
# --------------------------------------------------------------------------- #


def _elementwise(x, y, loss, reduction, dloss_dx, dloss_dy):
    """Record an element-wise loss; ``dloss_dx()``/``dloss_dy()`` give ``d l_i / d x_i, d y_i``."""
    xp = x.backend.xp
    n = math.prod(loss.shape)

    def backward(g):
        up = _upstream(g, reduction, n)
        return (up * dloss_dx() if x.requires_grad else None,
                up * dloss_dy() if y.requires_grad else None)
    return record(_reduce(xp, loss, reduction, n), (x, y), backward)


def _regression_args(fn, input, target, reduction):
    check_reduction(fn, reduction)
    x, t = _input_and_target(fn, input, target)
    return x, _float_target(fn, x, t)


