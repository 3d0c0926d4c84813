"""Regression losses: ``mse_loss``, ``l1_loss``, ``huber_loss`` (see :mod:`.loss` for conventions)."""
from __future__ import annotations

from ._loss_common import _elementwise, _regression_args, check_number


def mse_loss(input, target, reduction="mean"):
    """Mean squared error ``l_i = (x_i - y_i)^2``; ``dl/dx = 2 (x - y)``.

    ``input`` and ``target``: the same shape, floating point.  Returns a
    scalar, or ``l`` of the input's shape with ``reduction='none'``.
    """
    x, y = _regression_args("mse_loss", input, target, reduction)
    d = x.data - y.data
    return _elementwise(x, y, d * d, reduction, lambda: 2 * d, lambda: -2 * d)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error ``l_i = |x_i - y_i|``; ``dl/dx = sign(x - y)`` (0 where equal)."""
    x, y = _regression_args("l1_loss", input, target, reduction)
    xp = x.backend.xp
    d = x.data - y.data
    return _elementwise(x, y, xp.abs(d), reduction,
                        lambda: xp.sign(d), lambda: -xp.sign(d))


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber loss: quadratic for small errors, linear for large ones.

    With ``d = x - y``: ``l = d^2 / 2`` if ``|d| < delta`` else
    ``delta (|d| - delta / 2)``; ``dl/dx = clip(d, -delta, delta)``.
    ``delta > 0``.
    """
    check_number("huber_loss", "delta", delta, low=0, low_open=True)
    x, y = _regression_args("huber_loss", input, target, reduction)
    xp = x.backend.xp
    d = x.data - y.data
    ad = xp.abs(d)
    loss = xp.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _elementwise(x, y, loss, reduction, lambda: xp.clip(d, min=-delta, max=delta),
                        lambda: -xp.clip(d, min=-delta, max=delta))


