"""``Callback``: hooks into :func:`xpnet.train.fit`, one method per moment of the loop.

The loop, with the hooks where they run::

    on_train_begin
    for epoch in initial_epoch + 1 .. epochs:
        on_epoch_begin
        for x, y in train_loader:
            zero_grad; loss = loss_fn(model(x), y); loss.backward()
            # one host transfer: loop.step_loss (float), loop.step_finite (bool)
            on_after_backward      # p.grad filled, optimizer.step() not yet called
            optimizer.step()
            on_batch_end           # loop.step_loss is this step's loss
        loop.record = {...}; loop.history.epochs.append(loop.record)
        on_epoch_end               # may add keys to loop.record, set loop.stop = True
        if loop.stop: break
    on_train_end                   # also when fit raises; loop.error holds the exception

Each hook gets the :class:`~xpnet.train.loop.Loop` (the loop's state: model,
optimizer, epoch, step, history, ...).  Callbacks run sorted by their
``order`` (a class attribute, lower first; equal orders keep the order they
were given in), so that state is saved only after everything that changes
it at the end of an epoch:

=======  ==================================================================
 order    callbacks
=======  ==================================================================
 -20      :class:`TerminateOnNaN` (before anything looks at the gradients)
 -10      :class:`LRSchedulerCallback` (the lr of the next epoch is set)
   0      default: :class:`GradientMonitor`, :class:`EarlyStopping`, yours
   5      :class:`ClipGradNorm` (after the monitor has seen the raw gradients)
  10      :class:`ModelCheckpoint` (saves the state the next epoch starts from)
  20      :class:`ProgressBar` (shows what the others added to the record)
=======  ==================================================================

>>> class PrintLoss(Callback):
...     def on_epoch_end(self, loop):
...         print(loop.epoch, round(loop.record["loss"], 2))
"""
from __future__ import annotations

from typing import Iterable, List


class Callback:
    """Base class: every hook is optional and does nothing by default."""

    #: position among the callbacks of one ``fit`` (lower runs first)
    order: int = 0

    def on_train_begin(self, loop) -> None:
        """Once, before the first epoch (``loop.epoch`` is ``initial_epoch``)."""

    def on_epoch_begin(self, loop) -> None:
        """Before each epoch's first batch; ``loop.epoch`` is the 1-based epoch."""

    def on_after_backward(self, loop) -> None:
        """After ``loss.backward()``: gradients are in ``p.grad``, the step is not yet taken."""

    def on_batch_end(self, loop) -> None:
        """After ``optimizer.step()``; ``loop.step_loss`` is this step's loss (a float)."""

    def on_epoch_end(self, loop) -> None:
        """After validation; ``loop.record`` is this epoch's history dict.  Set
        ``loop.stop = True`` to end training after this epoch."""

    def on_train_end(self, loop) -> None:
        """Once, when ``fit`` returns or raises (``loop.error`` is then the exception)."""


def sorted_callbacks(callbacks: Iterable[Callback]) -> List[Callback]:
    """``callbacks`` as a list sorted by ``order`` (stable); ``TypeError`` for a non-Callback."""
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"fit(callbacks=...): callbacks[{i}] must be an "
                            f"xpnet.train.callbacks.Callback; got {type(cb).__name__}")
    return sorted(callbacks, key=lambda cb: cb.order)
