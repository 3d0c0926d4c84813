"""``LRSchedulerCallback``: step a learning-rate scheduler once per epoch."""
from __future__ import annotations

from .base import Callback


class LRSchedulerCallback(Callback):
    """Call ``scheduler.step()`` at the end of every epoch (PyTorch's per-epoch convention).

    The epoch's record keeps the lr the epoch was trained with (``record["lr"]``
    is taken before this runs).  It runs before :class:`ModelCheckpoint`, so a
    checkpoint holds the scheduler the next epoch starts from.
    ``fit(scheduler=s)`` is the same as ``fit(callbacks=[LRSchedulerCallback(s)])``.

    >>> import xpnet
    >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=0.1)
    >>> cb = LRSchedulerCallback(xpnet.optim.lr_scheduler.StepLR(opt, step_size=2))
    """

    order = -10

    def __init__(self, scheduler):
        if not callable(getattr(scheduler, "step", None)):
            raise TypeError(f"LRSchedulerCallback(scheduler) needs an object with a step() "
                            f"method (an xpnet.optim.lr_scheduler); got {type(scheduler).__name__}")
        self.scheduler = scheduler

    def on_epoch_end(self, loop) -> None:
        self.scheduler.step()
