"""``dropout``: inverted dropout with a mask drawn on the host.

In training, each element is kept with probability ``1 - p`` and scaled by
``1 / (1 - p)`` (so the expectation is unchanged and evaluation needs no
rescaling); the rest become 0.  The gradient is the same mask times ``g``.
The mask is drawn from :func:`xpnet.random.default_generator` on the host and
moved with ``backend.asarray``, so one seed gives the same mask on every
backend.  ``p = 1`` zeros everything (as PyTorch); outside training, or with
``p = 0``, the input is returned unchanged.
"""
from __future__ import annotations

from ...autograd.function import as_tensors, record
from ...dtypes import is_real
from ...random import dropout_mask


def check_probability(p, where: str) -> float:
    """``p`` as a float, or ``ValueError``/``TypeError`` unless it is a number in [0, 1]."""
    if not is_real(p):
        raise TypeError(f"{where}: dropout probability p must be a number in [0, 1]; got {p!r}")
    if not 0.0 <= float(p) <= 1.0:  # also rejects NaN
        raise ValueError(f"{where}: dropout probability p must be in [0, 1]; got p={p}")
    return float(p)


def dropout(input, p: float = 0.5, training: bool = True):
    """Inverted dropout: zero each element with probability ``p``, scale the rest by ``1 / (1 - p)``.

    input: any shape, floating dtype; returns a tensor of the same shape and
    dtype (``input`` itself when ``training`` is False or ``p == 0``).

    >>> import xpnet
    >>> from xpnet.nn.functional import dropout
    >>> _ = xpnet.manual_seed(0)
    >>> dropout(xpnet.ones(6), p=0.5).numpy()
    array([2., 0., 0., 0., 2., 2.], dtype=float32)

    See also: :class:`xpnet.nn.Dropout`, :func:`xpnet.manual_seed`.
    """
    p = check_probability(p, "dropout")
    x, = as_tensors(input)
    if x.dtype.kind != "f":
        raise TypeError(f"dropout(input) needs a floating-point tensor; got dtype {x.dtype}")
    if not training or p == 0.0:
        return x
    mask = x.backend.asarray(dropout_mask(x.shape, p, x.dtype))
    return record(x.data * mask, (x,), lambda g: (g * mask,))


__all__ = ["dropout"]
