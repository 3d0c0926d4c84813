"""``Dropout``: the module form of :func:`xpnet.nn.functional.dropout`."""
from __future__ import annotations

from .functional.dropout import check_probability, dropout
from .module import Module


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

    In eval mode (``module.eval()``) it is the identity.  ``0 <= p <= 1``
    (``p = 1`` zeros everything, as PyTorch).  Masks come from the global
    host generator, so ``xpnet.manual_seed`` makes them reproducible.
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = check_probability(p, "Dropout")

    def forward(self, input):
        return dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


__all__ = ["Dropout"]
