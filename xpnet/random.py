"""The host-side random generator behind parameter initialization, dropout and shuffling.

Random numbers are drawn on the host with one ``numpy.random.Generator`` and
then moved to the backend, so ``xpnet.manual_seed(s)`` gives bit-identical
initial weights (and dropout masks) on every backend.  The draws below return
host NumPy arrays already rounded to the requested dtype; the caller moves
them with ``backend.asarray`` (layer code never touches NumPy itself).

>>> import xpnet
>>> from xpnet import random
>>> _ = xpnet.manual_seed(0)
>>> w = random.uniform(-1.0, 1.0, (2, 3), "float32")
>>> w.dtype, bool((abs(w) <= 1).all())
(dtype('float32'), True)
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy

from .host import check_int

_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> numpy.random.Generator:
    """Reseed the global generator (as ``torch.manual_seed``); returns it.

    ``seed`` is a non-negative int.  Initializers, dropout, ``rand``/``randn``
    and data shuffling then draw reproducibly, identically on every backend.

    >>> import xpnet
    >>> _ = xpnet.manual_seed(0); a = xpnet.randn(2)
    >>> _ = xpnet.manual_seed(0); b = xpnet.randn(2)
    >>> a.tolist() == b.tolist()
    True
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"manual_seed(seed) needs a non-negative int; got {seed!r}")
    _generator = numpy.random.default_rng(int(seed))
    return _generator


def default_generator() -> numpy.random.Generator:
    """The global host generator (reseeded by :func:`manual_seed`)."""
    return _generator


def get_rng_state() -> dict:
    """The global generator's state as plain JSON-able data (as ``torch.get_rng_state``).

    Save it in a checkpoint and pass it to :func:`set_rng_state` to continue
    the same stream of random numbers (dropout masks, ``randn``, loader seeds).

    >>> import xpnet
    >>> state = xpnet.get_rng_state()
    >>> a = xpnet.rand(2)
    >>> xpnet.set_rng_state(state)
    >>> xpnet.rand(2).tolist() == a.tolist()
    True
    """
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore the global generator from a :func:`get_rng_state` result.

    Raises ``ValueError`` if ``state`` is not such a state; the generator is
    unchanged then.

    >>> import xpnet
    >>> state = xpnet.get_rng_state()
    >>> first = xpnet.randn(3).tolist()
    >>> xpnet.set_rng_state(state)
    >>> xpnet.randn(3).tolist() == first
    True
    """
    if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
        raise ValueError(f"set_rng_state(state) needs a dict from get_rng_state() "
                         f"(bit_generator 'PCG64'); got {state!r:.200}")
    fresh = numpy.random.PCG64()
    try:
        fresh.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"set_rng_state(state): not a valid PCG64 state ({e})") from None
    _generator.bit_generator.state = fresh.state


def make_rng(seed: Any, name: str = "seed") -> numpy.random.Generator:
    """A fresh host generator: from ``seed`` (a non-negative int), or, if ``seed``
    is None, seeded by one draw from :func:`default_generator` (so
    :func:`manual_seed` makes it reproducible)."""
    if seed is None:
        return numpy.random.default_rng(int(_generator.integers(0, 2**63)))
    return numpy.random.default_rng(check_int(seed, name, 0))


def _rng(generator: Optional[numpy.random.Generator]) -> numpy.random.Generator:
    return _generator if generator is None else generator


def uniform(low: float, high: float, shape: Sequence[int], dtype: Any,
            generator: Optional[numpy.random.Generator] = None) -> numpy.ndarray:
    """Samples of U(low, high) of ``shape``, drawn in float64 and rounded to ``dtype``."""
    return _rng(generator).uniform(low, high, tuple(shape)).astype(dtype, copy=False)


def normal(mean: float, std: float, shape: Sequence[int], dtype: Any,
           generator: Optional[numpy.random.Generator] = None) -> numpy.ndarray:
    """Samples of N(mean, std^2) of ``shape``, drawn in float64 and rounded to ``dtype``."""
    return _rng(generator).normal(mean, std, tuple(shape)).astype(dtype, copy=False)


def dropout_mask(shape: Sequence[int], p: float, dtype: Any,
                 generator: Optional[numpy.random.Generator] = None) -> numpy.ndarray:
    """The inverted-dropout multiplier: ``1 / (1 - p)`` with probability ``1 - p``, else 0.

    One uniform draw per element, kept where ``u >= p``; ``p = 1`` gives all
    zeros (as PyTorch).
    """
    keep = _rng(generator).random(tuple(shape)) >= p  # P(keep) = 1 - p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return numpy.where(keep, scale, 0.0).astype(dtype)


__all__ = ["manual_seed", "get_rng_state", "set_rng_state", "default_generator", "make_rng", "uniform", "normal", "dropout_mask"]
