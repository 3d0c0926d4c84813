"""Host-side helpers shared by the data layer: NumPy in, the caller's kind out.

The data layer keeps its arrays on the host (NumPy).  Functions that accept
either NumPy arrays or xpnet Tensors bring Tensors to the host with
:func:`to_host` and give results back in the kind they were given with
:func:`like`: a Tensor comes back as a Tensor on *its own* backend (not the
current one), anything else as a NumPy array.
"""
from __future__ import annotations

from typing import Any

import numpy


def is_tensor(x: Any) -> bool:
    """True if ``x`` is an ``xpnet.Tensor`` (imported lazily: no import cycle)."""
    from ..autograd.tensor import Tensor
    return isinstance(x, Tensor)


def to_host(x: Any, name: str) -> numpy.ndarray:
    """``x`` (Tensor, NumPy array, nested list) as a NumPy array on the host.

    ``name`` is the argument name used in the ``TypeError`` for objects that
    are neither (e.g. a CuPy array given directly: wrap it with
    ``xpnet.tensor`` first, so the transfer is explicit).
    """
    if is_tensor(x):
        return x.numpy()
    if isinstance(x, numpy.ndarray):
        return x
    if isinstance(x, (list, tuple, int, float, bool, numpy.generic)):
        return numpy.asarray(x)
    raise TypeError(
        f"{name} must be a NumPy array, an xpnet.Tensor or a (nested) list; "
        f"got {type(x).__module__}.{type(x).__qualname__}. Wrap device arrays "
        f"with xpnet.tensor(...) first.")


def like(original: Any, host: numpy.ndarray) -> Any:
    """``host`` in the kind of ``original``: a Tensor on ``original``'s backend, else NumPy."""
    if is_tensor(original):
        from ..autograd.tensor import tensor
        return tensor(host, backend=original.backend)
    return host


def check_int(value: Any, name: str, minimum: int) -> int:
    """``value`` as an int, or ``ValueError``/``TypeError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)):
        raise TypeError(f"{name} must be an int >= {minimum}; got {value!r} "
                        f"of type {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    return int(value)


def make_rng(seed: Any, name: str = "seed") -> numpy.random.Generator:
    """A fresh host generator: from ``seed`` (a non-negative int), or, if ``seed``
    is None, seeded by one draw from ``xpnet.random.default_generator()`` (so
    ``xpnet.manual_seed`` makes it reproducible)."""
    if seed is None:
        from ..random import default_generator
        return numpy.random.default_rng(int(default_generator().integers(0, 2**63)))
    return numpy.random.default_rng(check_int(seed, name, 0))
