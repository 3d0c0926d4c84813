"""Validation of hyper-parameters shared by the optimizers and the schedulers.

Every check returns the normalized value (a Python ``float``, ``int`` or
``bool``; 0-d NumPy arrays, e.g. from a PyTorch or NumPy state dict, are unwrapped)
or raises ``TypeError``/``ValueError`` naming the rule, the argument, the
allowed range and the value received.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Optional

from ..dtypes import is_bool, scalar_value as _scalar


def check_real(rule: str, name: str, value: Any, *, low: float = 0.0,
               high: Optional[float] = None, high_open: bool = True) -> float:
    """``float(value)`` if it is a finite real in ``[low, high)`` (or ``[low, high]``), else ``ValueError``.

    ``TypeError`` for non-numbers (including bools).  The message names the
    rule, the argument, the allowed range and the value received.
    """
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{rule}: {name} must be a real number; got {value!r} "
                        f"of type {type(value).__name__}")
    v = float(value)
    too_high = high is not None and (v >= high if high_open else v > high)
    if not math.isfinite(v) or v < low or too_high:
        if high is None:
            rng = f">= {low:g}" if low > -math.inf else ""
        else:
            rng = f"in [{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{rule}: {name} must be a finite number{' ' + rng if rng else ''}; "
                         f"got {value!r}")
    return v


def check_bool(rule: str, name: str, value: Any) -> bool:
    """``bool(value)`` if ``value`` is a bool (or NumPy bool), else ``TypeError``."""
    value = _scalar(value)
    if not is_bool(value):
        raise TypeError(f"{rule}: {name} must be True or False; got {value!r}")
    return bool(value)


def check_int(rule: str, name: str, value: Any, *, low: int) -> int:
    """``int(value)`` if it is an integer ``>= low``, else ``TypeError``/``ValueError``."""
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{rule}: {name} must be an int; got {value!r} "
                        f"of type {type(value).__name__}")
    if value < low:
        raise ValueError(f"{rule}: {name} must be an int >= {low}; got {value!r}")
    return int(value)


__all__ = ["check_real", "check_bool", "check_int"]
