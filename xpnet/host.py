"""Host-side data helpers: NumPy in, the caller's kind out.

Some work is host work by nature: reading data sets, fitting scalers,
loading a saved state dict.  Functions that accept either NumPy arrays or
xpnet Tensors bring Tensors to the host with :func:`to_host` (strict about
what it accepts) or :func:`as_host_array` (anything NumPy can read, e.g. a
state dict entry saved by another library), and give results back in the
kind they were given with :func:`like`: a Tensor comes back as a Tensor on
*its own* backend (not the current one), anything else as a NumPy array.

The data layer uses these directly; ``nn`` and
``optim`` use them so that they never import NumPy themselves.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy


def is_tensor(x: Any) -> bool:
    """True if ``x`` is an ``xpnet.Tensor`` (imported lazily: no import cycle)."""
    from .autograd.tensor import Tensor
    return isinstance(x, Tensor)


def is_host_array(x: Any) -> bool:
    """True for a NumPy array or NumPy scalar (data already on the host)."""
    return isinstance(x, (numpy.ndarray, numpy.generic))


def host_dtype_and_shape(x: Any) -> Tuple[Optional[numpy.dtype], Optional[tuple]]:
    """``(dtype, shape)`` of a Tensor, NumPy array or NumPy scalar; ``(None, None)`` otherwise."""
    if is_tensor(x) or is_host_array(x):
        return x.dtype, tuple(x.shape)
    return None, None


def as_host_array(x: Any) -> numpy.ndarray:
    """``x`` as a NumPy array: a Tensor's host copy, else ``numpy.asarray(x)``
    (lists, NumPy arrays, and objects with ``__array__`` such as torch tensors)."""
    return x.numpy() if is_tensor(x) else numpy.asarray(x)


def to_host(x: Any, name: str) -> numpy.ndarray:
    """``x`` (Tensor, NumPy array, nested list) as a NumPy array on the host.

    ``name`` is the argument name used in the ``TypeError`` for objects that
    are neither (e.g. a CuPy array given directly: wrap it with
    ``xpnet.tensor`` first, so the transfer is explicit).
    """
    if is_tensor(x) or isinstance(x, numpy.ndarray):
        return as_host_array(x)
    if isinstance(x, (list, tuple, int, float, bool, numpy.generic)):
        return numpy.asarray(x)
    raise TypeError(
        f"{name} must be a NumPy array, an xpnet.Tensor or a (nested) list; "
        f"got {type(x).__module__}.{type(x).__qualname__}. Wrap device arrays "
        f"with xpnet.tensor(...) first.")


def like(original: Any, host: numpy.ndarray) -> Any:
    """``host`` in the kind of ``original``: a Tensor on ``original``'s backend, else NumPy."""
    if is_tensor(original):
        from .autograd.tensor import tensor
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


def key_mismatch(expected, got) -> list:
    """What is wrong with the key set ``got`` of a saved state, one phrase per kind:
    ``["missing keys ['a', 'b']", "unexpected keys ['c']"]``; empty if none.

    Used by every ``load_state_dict`` so that one error names all the bad keys.
    """
    missing = sorted((k for k in expected if k not in got), key=repr)
    unexpected = sorted((k for k in got if k not in expected), key=repr)
    return ([f"missing keys {missing}"] if missing else []) + (
        [f"unexpected keys {unexpected}"] if unexpected else [])


def check_keys(where: str, state: Any, expected) -> None:
    """``ValueError`` unless ``state`` is a dict with exactly the keys ``expected``; the
    message starts with ``where`` and names every missing and unexpected key."""
    if not isinstance(state, dict):
        raise ValueError(f"{where} must be a dict with the keys {sorted(expected)}; "
                         f"got {type(state).__name__}")
    wrong = key_mismatch(expected, state)
    if wrong:
        raise ValueError(f"{where} has {' and '.join(wrong)}; it must have exactly the keys "
                         f"{sorted(expected)}")


__all__ = ["is_tensor", "is_host_array", "host_dtype_and_shape", "as_host_array", "to_host",
           "like", "check_int", "key_mismatch", "check_keys"]
