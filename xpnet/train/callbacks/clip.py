"""``ClipGradNorm``: clip the joint gradient norm before every optimizer step."""
from __future__ import annotations

from ...nn.utils import clip_grad_norm_
from .base import Callback


class ClipGradNorm(Callback):
    """``nn.utils.clip_grad_norm_(model.parameters(), max_norm)`` after every backward.

    Scales all gradients together by ``min(1, max_norm / (total_norm + 1e-6))``
    (on the device, no host transfer).  It runs after :class:`GradientMonitor`
    (which therefore records the unclipped norms, the diagnostic you want)
    and after the NaN guard.

    ``fit(..., callbacks=[ClipGradNorm(1.0)])`` is the CLI's ``--clip-grad-norm 1.0``;
    one step by hand:

    >>> import xpnet
    >>> from types import SimpleNamespace
    >>> model = xpnet.nn.Linear(2, 1)
    >>> (model(xpnet.ones(1, 2)) * 10).sum().backward()   # grads [[10, 10]], [10]: norm 17.32
    >>> ClipGradNorm(1.0).on_after_backward(SimpleNamespace(model=model))
    >>> model.bias.grad.numpy().round(4)                   # 10 * 1 / 17.3205
    array([0.5774], dtype=float32)
    """

    order = 5

    def __init__(self, max_norm: float):
        if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float)) or not max_norm > 0:
            raise ValueError(f"ClipGradNorm(max_norm) must be a positive number; got {max_norm!r}")
        self.max_norm = float(max_norm)

    def on_after_backward(self, loop) -> None:
        clip_grad_norm_(loop.model.parameters(), self.max_norm)
