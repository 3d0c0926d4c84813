"""Regression losses: ``mse_loss``, ``l1_loss``, ``huber_loss`` (see :mod:`.loss` for conventions)."""
from __future__ import annotations

from ._loss_common import _elementwise, _regression_args, check_number


def mse_loss(input, target, reduction="mean"):
    """Mean squared error ``l_i = (x_i - y_i)^2``; ``dl/dx = 2 (x - y)``.

    ``input`` and ``target``: the same shape, floating point.  Returns a
    scalar, or ``l`` of the input's shape with ``reduction='none'``.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.mse_loss(xpnet.tensor([1.0, 2.0]), xpnet.tensor([0.0, 4.0])).item()
    2.5

    See also: :class:`xpnet.nn.MSELoss`, :func:`huber_loss`.
    """
    x, y = _regression_args("mse_loss", input, target, reduction)
    d = x.data - y.data
    return _elementwise(x, y, d * d, reduction, lambda: 2 * d, lambda: -2 * d)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error ``l_i = |x_i - y_i|``; ``dl/dx = sign(x - y)`` (0 where equal).

    ``input`` and ``target``: the same shape, floating point.  Returns a
    scalar, or ``l`` of the input's shape with ``reduction='none'``.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.l1_loss(xpnet.tensor([1.0, 2.0]), xpnet.tensor([0.0, 4.0]), reduction="none").tolist()
    [1.0, 2.0]

    See also: :class:`xpnet.nn.L1Loss`.
    """
    x, y = _regression_args("l1_loss", input, target, reduction)
    xp = x.backend.xp
    d = x.data - y.data
    return _elementwise(x, y, xp.abs(d), reduction,
                        lambda: xp.sign(d), lambda: -xp.sign(d))


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber loss: quadratic for small errors, linear for large ones.

    With ``d = x - y``: ``l = d^2 / 2`` if ``|d| < delta`` else
    ``delta (|d| - delta / 2)``; ``dl/dx = clip(d, -delta, delta)``.
    ``delta > 0``.  Shapes as :func:`mse_loss`.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.huber_loss(xpnet.tensor([0.5, 3.0]), xpnet.zeros(2), reduction="none").tolist()
    [0.125, 2.5]

    See also: :class:`xpnet.nn.HuberLoss`, :func:`mse_loss`, :func:`l1_loss`.
    """
    check_number("huber_loss", "delta", delta, low=0, low_open=True)
    x, y = _regression_args("huber_loss", input, target, reduction)
    xp = x.backend.xp
    d = x.data - y.data
    ad = xp.abs(d)
    loss = xp.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _elementwise(x, y, loss, reduction, lambda: xp.clip(d, min=-delta, max=delta),
                        lambda: -xp.clip(d, min=-delta, max=delta))


