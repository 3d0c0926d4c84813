"""Loss modules with PyTorch's names: thin wrappers around :mod:`xpnet.nn.functional.loss`.

Each class stores ``reduction`` and its options, checks them when it is
constructed (so a bad ``label_smoothing`` fails where the loss is defined,
not at the first step), and its ``forward(input, target)`` calls the
function of the same name.  Class weights (``weight``, ``pos_weight``) are
buffers, as in PyTorch: they are saved in ``state_dict`` and follow
``.to(backend or dtype)``; they receive no gradient.

>>> import xpnet
>>> from xpnet import nn
>>> criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
>>> logits = xpnet.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], requires_grad=True)
>>> loss = criterion(logits, xpnet.tensor([0, 2]))
>>> loss.backward()

Unlike PyTorch, the deprecated ``size_average`` and ``reduce`` arguments do
not exist: pass ``reduction='mean' | 'sum' | 'none'``.
"""
from __future__ import annotations

from ..autograd.tensor import Tensor, tensor
from .functional import loss as F
from .module import Module

_WEIGHTS = ("weight", "pos_weight")   # options held as buffers


class _Loss(Module):
    """Base of the loss modules: ``forward(input, target) = function(input, target, reduction, **options)``.

    Subclasses set ``function`` and pass their options to ``__init__`` by
    keyword, after checking them.
    """

    function = None

    def __init__(self, reduction: str = "mean", **options):
        super().__init__()
        F.check_reduction(type(self).__name__, reduction)
        self.reduction = reduction
        self._option_names = tuple(options)
        for name, value in options.items():
            if name in _WEIGHTS:
                self.register_buffer(name, value if value is None or isinstance(value, Tensor)
                                     else tensor(value))
            else:
                setattr(self, name, value)

    def forward(self, input, target):
        options = {name: getattr(self, name) for name in self._option_names}
        return type(self).function(input, target, reduction=self.reduction, **options)

    def extra_repr(self) -> str:
        shown = [f"reduction={self.reduction!r}"]
        shown += [f"{n}={getattr(self, n)!r}" for n in self._option_names if n not in _WEIGHTS]
        return ", ".join(shown)


class MSELoss(_Loss):
    """Mean squared error ``l_i = (x_i - y_i)^2``, reduced by ``reduction`` (see :func:`~xpnet.nn.functional.mse_loss`).

    ``criterion(input, target)``: the same shape, floating point; returns a
    scalar (``'mean'``, ``'sum'``) or per-element losses (``'none'``).

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.MSELoss()(xpnet.tensor([1.0, 2.0]), xpnet.tensor([0.0, 4.0])).item()
    2.5
    """
    function = staticmethod(F.mse_loss)

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction)


class L1Loss(_Loss):
    """Mean absolute error ``l_i = |x_i - y_i|``; gradient 0 where equal (see :func:`~xpnet.nn.functional.l1_loss`).

    Shapes as :class:`MSELoss`.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.L1Loss(reduction="sum")(xpnet.tensor([1.0, 2.0]), xpnet.tensor([0.0, 4.0])).item()
    3.0
    """
    function = staticmethod(F.l1_loss)

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction)


class HuberLoss(_Loss):
    """Huber loss, quadratic below ``delta`` and linear above (see :func:`~xpnet.nn.functional.huber_loss`).

    ``l = d^2 / 2`` if ``|d| < delta`` else ``delta (|d| - delta / 2)``, with
    ``d = x - y``.  Shapes as :class:`MSELoss`.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.HuberLoss(delta=1.0)(xpnet.tensor([0.5, 3.0]), xpnet.zeros(2)).item()
    1.3125
    """
    function = staticmethod(F.huber_loss)

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        F.check_number("HuberLoss", "delta", delta, low=0, low_open=True)
        super().__init__(reduction, delta=delta)


class BCELoss(_Loss):
    """Binary cross entropy of probabilities (see :func:`~xpnet.nn.functional.binary_cross_entropy`).

    ``l = -w (y log x + (1 - y) log(1 - x))``, logs clamped at -100.
    ``criterion(input, target)``: probabilities and targets of one shape.

    >>> import xpnet
    >>> from xpnet import nn
    >>> round(nn.BCELoss()(xpnet.tensor([0.9, 0.2]), xpnet.tensor([1.0, 0.0])).item(), 4)
    0.1643

    See also: :class:`BCEWithLogitsLoss` (more stable, takes logits).
    """
    function = staticmethod(F.binary_cross_entropy)

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction, weight=weight)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy in one op, stable for any logits.

    ``l = w (max(x, 0) - x y + log(1 + exp(-|x|)))``; ``pos_weight`` weights
    the positive term (see
    :func:`~xpnet.nn.functional.binary_cross_entropy_with_logits`).
    ``criterion(logits, target)``: the same shape, floating point.

    >>> import xpnet
    >>> from xpnet import nn
    >>> round(nn.BCEWithLogitsLoss()(xpnet.tensor([0.0, 2.0]), xpnet.tensor([1.0, 1.0])).item(), 4)
    0.41
    """
    function = staticmethod(F.binary_cross_entropy_with_logits)

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction, weight=weight, pos_weight=pos_weight)


class NLLLoss(_Loss):
    """Negative log-likelihood ``l_i = -w[y_i] x[i, y_i]`` of log-probabilities (see :func:`~xpnet.nn.functional.nll_loss`).

    ``criterion(log_probs, target)``: log_probs (N, C) or (N, C, d1, ...),
    target int64 class indices (N,) or (N, d1, ...).  Use after :class:`LogSoftmax`.

    >>> import xpnet
    >>> from xpnet import nn
    >>> model = nn.Sequential(nn.Linear(3, 4), nn.LogSoftmax(dim=1))
    >>> nn.NLLLoss()(model(xpnet.ones(2, 3)), xpnet.tensor([0, 3])).shape
    ()
    """
    function = staticmethod(F.nll_loss)

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        F.check_ignore_index("NLLLoss", ignore_index)
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)


class CrossEntropyLoss(_Loss):
    """Cross entropy of logits: log-softmax + NLL, with class weights, ``ignore_index`` and label smoothing.

    With ``logp = log_softmax(x)``, ``C`` classes and smoothing ``s``:
    ``l_i = (1 - s) w[y_i] (-logp[i, y_i]) + (s / C) sum_c w_c (-logp[i, c])``;
    ``'mean'`` divides by the summed weights of the targets not ignored (see
    :func:`~xpnet.nn.functional.cross_entropy`, which also takes class
    probabilities).  ``criterion(logits, target)``: logits (N, C) or
    (N, C, d1, ...), target int64 class indices (N,) or (N, d1, ...).

    >>> import xpnet
    >>> from xpnet import nn
    >>> logits = xpnet.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 0.0]])
    >>> round(nn.CrossEntropyLoss()(logits, xpnet.tensor([0, 2])).item(), 4)
    0.67
    >>> round(nn.CrossEntropyLoss(label_smoothing=0.1)(logits, xpnet.tensor([0, 2])).item(), 4)
    0.745
    """
    function = staticmethod(F.cross_entropy)

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        F.check_ignore_index("CrossEntropyLoss", ignore_index)
        F.check_number("CrossEntropyLoss", "label_smoothing", label_smoothing, low=0.0, high=1.0)
        super().__init__(reduction, weight=weight, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)


class MultiMarginLoss(_Loss):
    """Multi-class hinge loss ``l_i = w[y_i] / C sum_{c != y_i} max(0, margin - x[y_i] + x[c])^p``.

    ``criterion(scores, target)``: scores (N, C), target class indices (N,);
    ``p`` is 1 or 2 (see :func:`~xpnet.nn.functional.multi_margin_loss`).

    >>> import xpnet
    >>> from xpnet import nn
    >>> round(nn.MultiMarginLoss()(xpnet.tensor([[0.1, 0.2, 0.4, 0.8]]), xpnet.tensor([3])).item(), 4)
    0.325
    """
    function = staticmethod(F.multi_margin_loss)

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, reduction: str = "mean"):
        F.check_p("MultiMarginLoss", p)
        F.check_number("MultiMarginLoss", "margin", margin)
        super().__init__(reduction, p=p, margin=margin, weight=weight)


__all__ = ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss",
           "CrossEntropyLoss", "MultiMarginLoss"]
