"""``Parameter``: a Tensor that a Module registers as trainable (as ``torch.nn.Parameter``)."""
from __future__ import annotations

from ..autograd.factory import zeros
from ..autograd.tensor import Tensor, tensor as _as_tensor


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable (``requires_grad=True`` by default).

    ``Parameter(t)`` shares ``t``'s array (as PyTorch); ``data`` may also be
    host data (NumPy array, list), which is copied to the current backend.

    >>> import xpnet
    >>> from xpnet import nn
    >>> w = nn.Parameter(xpnet.zeros(2, 3))
    >>> w.requires_grad, w.is_leaf, w.shape
    (True, True, (2, 3))

    See also: :meth:`Module.register_parameter`.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = zeros(0)  # float32, on the current backend
        elif not isinstance(data, Tensor):
            data = _as_tensor(data)
        super().__init__(data.data, data.backend, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


__all__ = ["Parameter"]
