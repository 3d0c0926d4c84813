"""Loss functions with the names, signatures and numerics of ``torch.nn.functional``.

Every loss is one fused op (cross entropy: ``log_softmax`` then one fused
NLL-with-smoothing op): its forward works on raw arrays of the input's
backend (``x.backend.xp``, Array API standard only) and its backward, right
beside it, writes the closed-form gradient (``sigmoid(x) - y`` for BCE with
logits; ``-w onehot`` for NLL, which ``log_softmax``'s backward turns into
``softmax - onehot``), faster and more stable than a chain of primitives.

Reductions (``reduction=``): ``'none'`` returns the per-element (or, for the
classification losses, per-sample) losses ``l``; ``'sum'`` returns ``sum(l)``;
``'mean'`` returns ``sum(l) / n`` where ``n`` is the number of elements,
except for ``nll_loss``/``cross_entropy`` with class-index targets, where it
is the sum of the weights ``w[y_i]`` of the targets that are not
``ignore_index`` (the number of such targets without ``weight``), as PyTorch.
A mean over nothing (all targets ignored, empty input) is NaN, as PyTorch.

Dtypes: ``input`` must be floating point; floating targets and weights are
cast to ``input``'s dtype (their gradients are cast back).  Class weights,
``pos_weight`` and ``weight`` are constants: no gradient flows into them.
Targets of the regression and binary losses, and class-probability targets
of ``cross_entropy``, do receive gradients when they require them.

>>> import xpnet
>>> from xpnet.nn import functional as F
>>> logits = xpnet.tensor([[2.0, 0.5, -1.0]], requires_grad=True)
>>> loss = F.cross_entropy(logits, xpnet.tensor([0]))
>>> round(loss.item(), 4)
0.2413
>>> loss.backward()        # softmax(logits) - onehot(0)

See also :mod:`xpnet.nn.loss` for the module forms (``nn.CrossEntropyLoss``...).
"""
from __future__ import annotations

import math
import numbers

from ...autograd.function import as_tensors, record
from ...autograd.tensor import Tensor
from .activation import log_softmax

_REDUCTIONS = ("mean", "sum", "none")

# --------------------------------------------------------------------------- #
# argument checks (all run before anything is computed)
# --------------------------------------------------------------------------- #


def check_reduction(fn, reduction):
    """Raise ``ValueError`` unless ``reduction`` is ``'mean'``, ``'sum'`` or ``'none'``."""
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of 'mean', 'sum', 'none'; "
                         f"got {reduction!r}")


def check_number(fn, arg, value, low=None, high=None, low_open=False):
    """Raise unless ``value`` is a real number in ``[low, high]`` (``(low, ...`` if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {arg} must be a real number; got {value!r}")
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and value > high
    if below or above or value != value:  # value != value: NaN
        rule = (f"in {'(' if low_open else '['}{low}, {high}]" if high is not None else
                f"{'>' if low_open else '>='} {low}" if low is not None else "not NaN")
        raise ValueError(f"{fn}: {arg} must be {rule}; got {value!r}")


def check_p(fn, p):
    """Raise unless ``p`` (the hinge exponent) is 1 or 2."""
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"{fn}: p must be 1 or 2; got {p!r}")


def check_ignore_index(fn, ignore_index):
    """Raise unless ``ignore_index`` is an int (any value; negative ones never match a class)."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"{fn}: ignore_index must be an int; got {ignore_index!r}")


def _input_and_target(fn, input, target):
    x, t = as_tensors(input, target)
    for arg, v in (("input", x), ("target", t)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{fn}: {arg} must be a tensor or array; got {type(v).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: input must have a floating-point dtype; got {x.dtype}")
    return x, t


def _float_target(fn, x, t):
    """Check a target of real values: floating, the input's shape; cast to the input's dtype."""
    if t.dtype.kind != "f":
        raise TypeError(f"{fn}: target must have a floating-point dtype (values/probabilities); "
                        f"got {t.dtype} (convert with target.float())")
    if t.shape != x.shape:
        raise ValueError(f"{fn}: target must have the shape of input {x.shape}; got {t.shape}")
    return t if t.dtype == x.dtype else t.to(x.dtype)


def _num_classes(x):
    """C: axis 0 of a (C,) input, axis 1 of (N, C, d1, ...)."""
    return x.shape[0 if x.ndim == 1 else 1]


def _constant(fn, arg, value, x, shape=None):
    """``value`` (weights: tensor, array or list) as a raw array of ``x``'s dtype, shape-checked.

    With ``shape`` it must be exactly that; otherwise it must broadcast to
    ``x.shape`` without enlarging it.  A tensor of another backend is a TypeError.
    """
    w, _ = as_tensors(value, x)
    if not isinstance(w, Tensor) or w.dtype.kind not in "fiu":
        raise TypeError(f"{fn}: {arg} must be a numeric tensor or array; got "
                        f"{getattr(w, 'dtype', type(w).__name__)}")
    if shape is not None:
        if w.shape != tuple(shape):
            raise ValueError(f"{fn}: {arg} must have shape (C,) = {tuple(shape)} for input of "
                             f"shape {x.shape}; got {w.shape}")
    elif len(w.shape) > x.ndim or any(
            a != 1 and a != b for a, b in zip(reversed(w.shape), reversed(x.shape))):
        raise ValueError(f"{fn}: {arg} must broadcast to the input's shape {x.shape}; "
                         f"got shape {w.shape}")
    return w.data if w.dtype == x.dtype else x.backend.xp.astype(w.data, x.data.dtype)


def _first_where(xp, mask, values, convert):
    """``convert`` (int or float) of the first element of ``values`` where ``mask`` holds (errors)."""
    first = int(xp.argmax(xp.astype(xp.reshape(mask, (-1,)), xp.int8)))
    return convert(xp.reshape(values, (-1,))[first])


# --------------------------------------------------------------------------- #
# reduction, shared by every loss
# --------------------------------------------------------------------------- #


def _reduce(xp, loss, reduction, denom):
    """``loss`` itself (``'none'``), its sum, or its sum divided by ``denom`` (``'mean'``)."""
    if reduction == "none":
        return loss
    total = xp.sum(loss)
    return total if reduction == "sum" else total / denom


def _upstream(g, reduction, denom):
    """The gradient of each per-element loss: ``g`` (``'none'``, ``'sum'``) or ``g / denom``."""
    return g / denom if reduction == "mean" else g


# --------------------------------------------------------------------------- #
# element-wise losses: l_i = f(x_i, y_i)
# --------------------------------------------------------------------------- #


def _elementwise(x, y, loss, reduction, dloss_dx, dloss_dy):
    """Record an element-wise loss; ``dloss_dx()``/``dloss_dy()`` give ``d l_i / d x_i, d y_i``."""
    xp = x.backend.xp
    n = math.prod(loss.shape)

    def backward(g):
        up = _upstream(g, reduction, n)
        return (up * dloss_dx() if x.requires_grad else None,
                up * dloss_dy() if y.requires_grad else None)
    return record(_reduce(xp, loss, reduction, n), (x, y), backward)


def _regression_args(fn, input, target, reduction):
    check_reduction(fn, reduction)
    x, t = _input_and_target(fn, input, target)
    return x, _float_target(fn, x, t)


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


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """Binary cross entropy of probabilities ``x`` in [0, 1] against targets ``y``.

    ``l = -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100))``: the logs
    are clamped at -100 as PyTorch, so ``x = 0`` or ``1`` gives a finite loss.
    ``dl/dx = w (x - y) / max(x (1 - x), 1e-12)``.  ``weight`` broadcasts to
    the input's shape.  Prefer :func:`binary_cross_entropy_with_logits` on
    logits: it is exact where ``sigmoid`` saturates.
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
    q = y.data if smoothing == 0 else (1 - smoothing) * y.data + smoothing / C
    wc = None if w is None else _along_classes(xp, w, nd)
    wq = q if wc is None else wc * q
    loss = -xp.sum(z * wq, axis=1)
    n = math.prod(loss.shape)

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
    by the sum of ``weight[y_i]`` over the targets not ignored.
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
    scale = (1.0 / C) if w is None else xp.take(w, t) / C   # w[y_i] / C, (N,) or scalar
    loss = xp.sum(xp.where(active, h if p == 1 else h * h, 0.0), axis=1) * scale

    def backward(g):
        r = _upstream(g, reduction, N) * scale                # (N,) or 0-d
        r = xp.expand_dims(r, axis=1) if r.ndim == 1 else r
        d = xp.where(active, r if p == 1 else 2 * h * r, 0.0)
        return (d - xp.where(hit, xp.sum(d, axis=1, keepdims=True), 0.0),)
    return record(_reduce(xp, loss, reduction, N), (x,), backward)
