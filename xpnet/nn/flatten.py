"""``Flatten``: merge a range of axes into one (as ``torch.nn.Flatten``)."""
from __future__ import annotations

from .module import Module


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` (inclusive): (N, C, H, W) -> (N, C*H*W) by default.

    Start at 1 so the batch axis stays.  The backward is a reshape back.

    >>> import xpnet
    >>> from xpnet import nn
    >>> nn.Flatten()(xpnet.zeros(8, 3, 4, 4)).shape, nn.Flatten(0)(xpnet.zeros(8, 3)).shape
    ((8, 48), (24,))

    See also: :meth:`xpnet.Tensor.flatten`.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        for name, v in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"Flatten({name}=...) must be an int; got {v!r}")
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


__all__ = ["Flatten"]
