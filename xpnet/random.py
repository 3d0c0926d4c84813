"""The host-side random generator behind parameter initialization, dropout and shuffling.

Random numbers are drawn on the host with one ``numpy.random.Generator`` and
then moved to the backend, so ``xpnet.manual_seed(s)`` gives bit-identical
initial weights (and dropout masks) on every backend.
"""
from __future__ import annotations

import numpy

_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> numpy.random.Generator:
    """Reseed the global generator (as ``torch.manual_seed``); returns it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or seed < 0:
        raise ValueError(f"manual_seed(seed) needs a non-negative int; got {seed!r}")
    _generator = numpy.random.default_rng(int(seed))
    return _generator


def default_generator() -> numpy.random.Generator:
    """The global host generator (reseeded by :func:`manual_seed`)."""
    return _generator


__all__ = ["manual_seed", "default_generator"]
