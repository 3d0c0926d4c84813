"""Binary losses: ``binary_cross_entropy`` and its logits form (see :mod:`.loss` for conventions)."""
from __future__ import annotations

from ._loss_common import (
    _constant,
    _elementwise,
    _first_where,
    _float_target,
    _input_and_target,
    check_reduction,
)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross entropy of probabilities ``x`` in [0, 1] against targets ``y``.

    ``l = -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100))``: the logs
    are clamped at -100 as PyTorch, so ``x = 0`` or ``1`` gives a finite loss.
    ``dl/dx = w (x - y) / max(x (1 - x), 1e-12)``.  ``weight`` broadcasts to
    the input's shape.  Prefer :func:`binary_cross_entropy_with_logits` on
    logits: it is exact where ``sigmoid`` saturates.

    ``input`` and ``target``: the same shape, floating point.  Returns a
    scalar, or ``l`` of the input's shape with ``reduction='none'``.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> p = xpnet.tensor([0.9, 0.2, 0.0])
    >>> F.binary_cross_entropy(p, xpnet.tensor([1.0, 0.0, 1.0]), reduction="none").numpy().round(4)
    array([  0.1054,   0.2231, 100.    ], dtype=float32)

    See also: :class:`xpnet.nn.BCELoss`.
    """
    fn = "binary_cross_entropy"
    check_reduction(fn, reduction)
    x, t = _input_and_target(fn, input, target)
    y = _float_target(fn, x, t)
    w = None if weight is None else _constant(fn, "weight", weight, x)
    xp = x.backend.xp
    p = x.data
    inside = (p >= 0) & (p <= 1)
    if not bool(xp.all(inside)):
        raise ValueError(f"{fn}: every element of input must be in [0, 1] (probabilities; use "
                         f"binary_cross_entropy_with_logits for logits); got "
                         f"{_first_where(xp, ~inside, p, float)}")
    # max(log, -100) without evaluating log(0) (and NumPy's divide-by-zero warning)
    positive, below_one = p > 0, p < 1
    log_p = xp.where(positive, xp.clip(xp.log(xp.where(positive, p, 1.0)), min=-100.0), -100.0)
    log_1mp = xp.where(below_one, xp.clip(xp.log1p(-xp.where(below_one, p, 0.0)), min=-100.0),
                       -100.0)
    loss = -(y.data * log_p + (1 - y.data) * log_1mp)
    if w is not None:
        loss = w * loss

    def dloss_dx():
        dx = (p - y.data) / xp.clip(p * (1 - p), min=1e-12)
        return dx if w is None else w * dx

    def dloss_dy():
        return log_1mp - log_p if w is None else w * (log_1mp - log_p)
    return _elementwise(x, y, loss, reduction, dloss_dx, dloss_dy)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross entropy of ``sigmoid(x)``, computed from the logits ``x`` without overflow.

    ``l = w (max(x, 0) - x y + log(1 + exp(-|x|)))``; with ``pos_weight`` ``pw``
    (the weight of the positive term, broadcast along the last dimension):
    ``l = w ((1 - y) x + (1 + (pw - 1) y) softplus(-x))``, with
    ``softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0)``.
    ``dl/dx = w ((1 + (pw - 1) y) sigmoid(x) - pw y)`` (``w (sigmoid(x) - y)``).
    Finite for any finite logits (e.g. ``|x| = 1e4``).

    ``input`` and ``target``: the same shape, floating point.  Returns a
    scalar, or ``l`` of the input's shape with ``reduction='none'``.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> x = xpnet.tensor([0.0, 1e4, -1e4])
    >>> F.binary_cross_entropy_with_logits(x, xpnet.tensor([1.0, 1.0, 1.0]), reduction="none").tolist()
    [0.6931471824645996, 0.0, 10000.0]

    See also: :class:`xpnet.nn.BCEWithLogitsLoss`, :func:`binary_cross_entropy`.
    """
    fn = "binary_cross_entropy_with_logits"
    check_reduction(fn, reduction)
    x, t = _input_and_target(fn, input, target)
    y = _float_target(fn, x, t)
    w = None if weight is None else _constant(fn, "weight", weight, x)
    pw = None if pos_weight is None else _constant(fn, "pos_weight", pos_weight, x)
    xp = x.backend.xp
    z, yd = x.data, y.data
    e = xp.exp(-xp.abs(z))                      # in (0, 1]: never overflows
    log1pe = xp.log1p(e)
    if pw is None:
        loss = xp.clip(z, min=0.0) - z * yd + log1pe
    else:
        softplus_neg = log1pe + xp.clip(-z, min=0.0)
        loss = (1 - yd) * z + (1 + (pw - 1) * yd) * softplus_neg
    if w is not None:
        loss = w * loss

    def dloss_dx():
        s = xp.where(z >= 0, 1 / (1 + e), e / (1 + e))     # sigmoid(z)
        dx = s - yd if pw is None else (1 + (pw - 1) * yd) * s - pw * yd
        return dx if w is None else w * dx

    def dloss_dy():
        dy = -z if pw is None else -z + (pw - 1) * (log1pe + xp.clip(-z, min=0.0))
        return dy if w is None else w * dy
    return _elementwise(x, y, loss, reduction, dloss_dx, dloss_dy)


# --------------------------------------------------------------------------- #
# classification losses over a class axis (axis 1 of (N, C, d1, ...))
# --------------------------------------------------------------------------- #


