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
    """Mean squared error ``(x - y)^2`` (see :func:`~xpnet.nn.functional.mse_loss`)."""
    function = staticmethod(F.mse_loss)

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction)


class L1Loss(_Loss):
    """Mean absolute error ``|x - y|`` (see :func:`~xpnet.nn.functional.l1_loss`)."""
    function = staticmethod(F.l1_loss)

    def __init__(self, reduction: str = "mean"):
        super().__init__(reduction)


class HuberLoss(_Loss):
    """Huber loss, quadratic below ``delta`` and linear above (see :func:`~xpnet.nn.functional.huber_loss`)."""
    function = staticmethod(F.huber_loss)

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        F.check_number("HuberLoss", "delta", delta, low=0, low_open=True)
        super().__init__(reduction, delta=delta)


class BCELoss(_Loss):
    """Binary cross entropy of probabilities (see :func:`~xpnet.nn.functional.binary_cross_entropy`)."""
    function = staticmethod(F.binary_cross_entropy)

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction, weight=weight)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy, stable for any logits
    (see :func:`~xpnet.nn.functional.binary_cross_entropy_with_logits`)."""
    function = staticmethod(F.binary_cross_entropy_with_logits)

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(reduction, weight=weight, pos_weight=pos_weight)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (see :func:`~xpnet.nn.functional.nll_loss`)."""
    function = staticmethod(F.nll_loss)

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        F.check_ignore_index("NLLLoss", ignore_index)
        super().__init__(reduction, weight=weight, ignore_index=ignore_index)


class CrossEntropyLoss(_Loss):
    """Log-softmax + NLL, with class weights, ``ignore_index`` and label smoothing
    (see :func:`~xpnet.nn.functional.cross_entropy`)."""
    function = staticmethod(F.cross_entropy)

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        F.check_ignore_index("CrossEntropyLoss", ignore_index)
        F.check_number("CrossEntropyLoss", "label_smoothing", label_smoothing, low=0.0, high=1.0)
        super().__init__(reduction, weight=weight, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)


class MultiMarginLoss(_Loss):
    """Multi-class hinge loss (see :func:`~xpnet.nn.functional.multi_margin_loss`)."""
    function = staticmethod(F.multi_margin_loss)

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, reduction: str = "mean"):
        F.check_p("MultiMarginLoss", p)
        F.check_number("MultiMarginLoss", "margin", margin)
        super().__init__(reduction, p=p, margin=margin, weight=weight)


__all__ = ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "NLLLoss",
           "CrossEntropyLoss", "MultiMarginLoss"]
