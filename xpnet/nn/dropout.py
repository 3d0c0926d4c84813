"""``Dropout``: the module form of :func:`xpnet.nn.functional.dropout`."""
from __future__ import annotations

from .functional.dropout import check_probability, dropout
from .module import Module


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

    In eval mode (``module.eval()``) it is the identity.  ``0 <= p <= 1``
    (``p = 1`` zeros everything, as PyTorch).  Masks come from the global
    host generator, so ``xpnet.manual_seed`` makes them reproducible.
    Input: any shape, floating point; output: same shape and dtype.

    >>> import xpnet
    >>> from xpnet import nn
    >>> _ = xpnet.manual_seed(0)
    >>> drop = nn.Dropout(p=0.5)
    >>> drop(xpnet.ones(6)).tolist()
    [2.0, 0.0, 0.0, 0.0, 2.0, 2.0]
    >>> drop.eval()(xpnet.ones(6)).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]

    See also: :func:`xpnet.nn.functional.dropout`.
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = check_probability(p, "Dropout")

    def forward(self, input):
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


__all__ = ["Dropout"]
