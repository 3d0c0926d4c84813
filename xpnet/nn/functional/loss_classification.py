"""Class losses: ``nll_loss``, ``cross_entropy``, ``multi_margin_loss`` (see :mod:`.loss` for conventions)."""
from __future__ import annotations

import math

from ...autograd.function import record
from ._loss_common import (
    _constant,
    _first_where,
    _float_target,
    _input_and_target,
    _num_classes,
    _reduce,
    _upstream,
    check_ignore_index,
    check_number,
    check_p,
    check_reduction,
)
from .activation import log_softmax


def _class_shape(x):
    """The class-index target shape that goes with ``x``: (N, d1, ...) or () for (C,)."""
    return () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]


def _index_target(fn, x, t, ignore_index=None):
    """Check integer class-index targets ``t`` for input ``x`` (values in [0, C) or ignore_index)."""
    if x.ndim < 1:
        raise ValueError(f"{fn}: input must have shape (C,), (N, C) or (N, C, d1, ...); "
                         f"got a 0-d tensor")
    want = _class_shape(x)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{fn}: class-index target must have an integer dtype; got {t.dtype} "
                        f"(convert with target.long())")
    if t.shape != want:
        named = "()" if not want else "(" + ", ".join(
            ["N"] + [f"d{i}" for i in range(1, len(want))]) + (",)" if len(want) == 1 else ")")
        raise ValueError(f"{fn}: target must have shape {named} = {want} for input of shape "
                         f"{x.shape}; got {t.shape}")
    xp = x.backend.xp
    C = _num_classes(x)
    bad = (t.data < 0) | (t.data >= C)
    if ignore_index is not None:
        bad = bad & (t.data != ignore_index)
    if bool(xp.any(bad)):  # one host sync per call: the price of a clear error
        value = _first_where(xp, bad, t.data, int)
        also = "" if ignore_index is None else f" (or ignore_index={ignore_index})"
        raise ValueError(f"{fn}: target class indices must be in [0, C) = [0, {C}){also}; "
                         f"got {value}")


def _batched(x, t):
    """A (C,) input with a () index or (C,) probability target as a batch of one.

    Returns ``(x, t, unbatch)``; ``unbatch`` maps a result back (a 'none' loss of shape (1,) to ()).
    """
    if x.ndim != 1:
        return x, t, lambda out: out
    C = x.shape[0]
    return (x.reshape(1, C), t.reshape(1, C) if t.ndim == 1 else t.reshape(1),
            lambda out: out.reshape(()))


def _along_classes(xp, v, ndim):
    """A (C,) vector reshaped to broadcast along axis 1 of an ``ndim``-d array."""
    return xp.reshape(v, (1, -1) + (1,) * (ndim - 2))


def _index_loss(logp, target, w, ignore_index, reduction, smoothing):
    """NLL with label smoothing of log-probabilities ``logp`` over axis 1; class-index targets.

    ``l_i = (1 - s) w[y_i] (-logp[i, y_i]) + (s / C) sum_c w_c (-logp[i, c])`` for
    targets not ignored (0 for those).  ``'mean'`` divides by ``sum_i w[y_i]``
    over the targets not ignored.  The gradient is ``-A`` with
    ``A[i, c] = r_i ((1 - s) w[y_i] [c = y_i] + (s / C) w_c)`` (0 for ignored
    rows) and ``r`` the upstream gradient of ``l_i``; through ``log_softmax``
    this becomes ``softmax * sum_c A[i, c] - A``, i.e. ``softmax - onehot``.
    """
    xp = logp.backend.xp
    z, t = logp.data, target.data
    C, nd = z.shape[1], z.ndim
    if C == 0:  # no classes: every target is ignore_index (checked), nothing to pick
        none = xp.zeros(t.shape, dtype=z.dtype)
        return record(_reduce(xp, none, reduction, xp.sum(none)), (logp,),
                      lambda g: (xp.zeros(z.shape, dtype=z.dtype),))
    valid = t != ignore_index
    safe = xp.where(valid, t, 0)
    index = xp.expand_dims(safe, axis=1)                  # (N, 1, d1, ...)
    picked = xp.squeeze(xp.take_along_axis(z, index, axis=1), axis=1)
    picked = xp.where(valid, picked, 0.0)                 # ignored rows may hold -inf
    mask = xp.astype(valid, z.dtype)
    coef = mask if w is None else mask * xp.reshape(
        xp.take(w, xp.reshape(safe, (-1,))), safe.shape)  # w[y_i], 0 where ignored
    loss = -coef * picked
    wc = None if w is None else _along_classes(xp, w, nd)
    if smoothing > 0:
        spread = -xp.sum(z if wc is None else z * wc, axis=1)
        loss = (1 - smoothing) * loss + xp.where(valid, (smoothing / C) * spread, 0.0)
    denom = xp.sum(coef)

    def backward(g):
        r = _upstream(g, reduction, denom)
        hit = xp.reshape(xp.arange(C), (1, C) + (1,) * (nd - 2)) == index    # one-hot
        on_target = xp.expand_dims((smoothing - 1) * r * coef, axis=1)
        grad = xp.where(hit, on_target, 0.0)
        if smoothing > 0:
            spread_r = xp.expand_dims((smoothing / C) * r * mask, axis=1)
            grad = grad - (spread_r if wc is None else spread_r * wc)
        return (grad,)
    return record(_reduce(xp, loss, reduction, denom), (logp,), backward)


def _probability_loss(logp, y, w, reduction, smoothing):
    """Cross entropy of log-probabilities ``logp`` with class-probability targets ``y``.

    ``q = (1 - s) y + s / C``; ``l_i = -sum_c w_c q[i, c] logp[i, c]``; ``'mean'``
    divides by the number of rows ``N d1 ...``.  ``dl/dlogp = -w q``,
    ``dl/dy = -(1 - s) w logp``.
    """
    xp = logp.backend.xp
    z = logp.data
    C, nd = z.shape[1], z.ndim
    q = y.data if smoothing == 0 or C == 0 else (1 - smoothing) * y.data + smoothing / C
    wc = None if w is None else _along_classes(xp, w, nd)
    wq = q if wc is None else wc * q
    loss = -xp.sum(z * wq, axis=1)
    n = math.prod(loss.shape) if C else 0  # no classes: a mean over nothing (NaN, as torch)

    def backward(g):
        r = _upstream(g, reduction, n)
        r = xp.expand_dims(r, axis=1) if reduction == "none" else r
        gy = None
        if y.requires_grad:
            gy = (smoothing - 1) * r * (z if wc is None else wc * z)
        return -r * wq, gy
    return record(_reduce(xp, loss, reduction, n), (logp, y), backward)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``.

    ``input``: (N, C), (N, C, d1, ...) or (C,); ``target``: integers of shape
    (N,), (N, d1, ...) or (), each in [0, C) or equal to ``ignore_index``.
    ``l_i = -weight[y_i] input[i, y_i]`` (0 where ignored); ``'mean'`` divides
    by the sum of ``weight[y_i]`` over the targets not ignored.  ``weight``: (C,).

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> logp = xpnet.tensor([[-0.5, -1.0], [-2.0, -0.1]])
    >>> F.nll_loss(logp, xpnet.tensor([0, 1])).item(), F.nll_loss(logp, xpnet.tensor([0, -100])).item()
    (0.30000001192092896, 0.5)

    See also: :func:`cross_entropy` (takes logits), :class:`xpnet.nn.NLLLoss`.
    """
    fn = "nll_loss"
    check_reduction(fn, reduction)
    check_ignore_index(fn, ignore_index)
    x, t = _input_and_target(fn, input, target)
    _index_target(fn, x, t, ignore_index)
    w = None if weight is None else _constant(fn, "weight", weight, x,
                                                      (_num_classes(x),))
    xb, tb, unbatch = _batched(x, t)
    return unbatch(_index_loss(xb, tb, w, ignore_index, reduction, 0.0))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy of the logits ``input`` against class indices or class probabilities.

    ``input``: logits of shape (N, C), (N, C, d1, ...) or (C,).  ``target``:
    integer class indices of shape (N,), (N, d1, ...) or () (values in [0, C)
    or ``ignore_index``), or floating class probabilities of the input's shape.
    With ``logp = log_softmax(input, dim=1)`` (max-shifted, so logits of
    1e4 are fine) and smoothing ``s = label_smoothing`` in [0, 1]:

    * indices: ``l_i = (1 - s) w[y_i] (-logp[i, y_i]) + (s / C) sum_c w_c (-logp[i, c])``,
      0 for ignored targets; ``'mean'`` divides by ``sum_i w[y_i]`` over the
      targets not ignored (their count without ``weight``);
    * probabilities ``p``: ``l_i = -sum_c w_c ((1 - s) p[i, c] + s / C) logp[i, c]``;
      ``'mean'`` divides by ``N d1 ...``; ``ignore_index`` is not supported.

    The gradient is ``softmax(input) * sum_c A[i, c] - A`` with ``A`` the
    coefficients of ``-logp`` above (``softmax - onehot`` in the plain case).
    Returns a scalar, or per-sample losses (N,) / (N, d1, ...) with
    ``reduction='none'``.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> logits = xpnet.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0]])
    >>> round(F.cross_entropy(logits, xpnet.tensor([0, 2])).item(), 4)
    0.67
    >>> round(F.cross_entropy(logits, xpnet.tensor([0, 2]), label_smoothing=0.1).item(), 4)
    0.745

    See also: :class:`xpnet.nn.CrossEntropyLoss`, :func:`nll_loss`, :func:`log_softmax`.
    """
    fn = "cross_entropy"
    check_reduction(fn, reduction)
    check_ignore_index(fn, ignore_index)
    check_number(fn, "label_smoothing", label_smoothing, low=0.0, high=1.0)
    x, t = _input_and_target(fn, input, target)
    if x.ndim >= 1 and t.shape == x.shape:
        if t.dtype.kind != "f":
            raise TypeError(f"{fn}: a target of the input's shape {x.shape} holds class "
                            f"probabilities and must be floating point; got {t.dtype} "
                            f"(class indices have shape {_class_shape(x)})")
        if ignore_index >= 0:
            raise ValueError(f"{fn}: ignore_index is not supported with class-probability "
                             f"targets; got ignore_index={ignore_index}")
        y = _float_target(fn, x, t)
    else:
        _index_target(fn, x, t, ignore_index)
        y = None
    w = None if weight is None else _constant(fn, "weight", weight, x,
                                                      (_num_classes(x),))
    xb, tb, unbatch = _batched(x, t if y is None else y)
    logp = log_softmax(xb, dim=1)    # max-shifted log-sum-exp: exact for logits of 1e4
    if y is not None:
        return unbatch(_probability_loss(logp, tb, w, reduction, label_smoothing))
    return unbatch(_index_loss(logp, tb, w, ignore_index, reduction, label_smoothing))


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    """Multi-class hinge loss over the scores ``input`` (N, C) or (C,).

    ``l_i = w[y_i] / C * sum_{c != y_i} max(0, margin - x[i, y_i] + x[i, c])^p``
    with ``p`` in {1, 2}; ``target`` holds class indices in [0, C), shape (N,)
    or ().  ``'mean'`` divides by N.  With ``h = margin - x[y] + x[c] > 0``,
    ``dl/dx[c] = w[y] / C * (1 or 2h)`` and ``dl/dx[y] = -sum_c dl/dx[c]``.
    At the hinge (``h = 0``) the gradient is 0.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> F.multi_margin_loss(xpnet.tensor([[0.1, 0.2, 0.4, 0.8]]), xpnet.tensor([3])).item()
    0.32499998807907104

    See also: :class:`xpnet.nn.MultiMarginLoss`, :func:`cross_entropy`.
    """
    fn = "multi_margin_loss"
    check_reduction(fn, reduction)
    check_p(fn, p)
    check_number(fn, "margin", margin)
    x, t = _input_and_target(fn, input, target)
    if x.ndim not in (1, 2):
        raise ValueError(f"{fn}: input must have shape (N, C) or (C,); got {x.shape}")
    _index_target(fn, x, t)
    w = None if weight is None else _constant(fn, "weight", weight, x, (x.shape[-1],))
    xb, tb, unbatch = _batched(x, t)
    return unbatch(_hinge(xb, tb, w, p, float(margin), reduction))


def _hinge(x, target, w, p, margin, reduction):
    xp = x.backend.xp
    z, t = x.data, target.data
    N, C = z.shape
    index = xp.expand_dims(t, axis=1)                     # (N, 1)
    h = margin - xp.take_along_axis(z, index, axis=1) + z  # (N, C)
    hit = xp.reshape(xp.arange(C), (1, C)) == index
    active = (h > 0) & ~hit
    if C == 0:  # only with N = 0 (targets lie in [0, C)): nothing to scale
        scale = 0.0
    else:
        scale = (1.0 / C) if w is None else xp.take(w, t) / C   # w[y_i] / C, (N,) or scalar
    loss = xp.sum(xp.where(active, h if p == 1 else h * h, 0.0), axis=1) * scale

    def backward(g):
        r = _upstream(g, reduction, N) * scale                # (N,) or 0-d
        r = xp.expand_dims(r, axis=1) if r.ndim == 1 else r
        d = xp.where(active, r if p == 1 else 2 * h * r, 0.0)
        return (d - xp.where(hit, xp.sum(d, axis=1, keepdims=True), 0.0),)
    return record(_reduce(xp, loss, reduction, N), (x,), backward)
