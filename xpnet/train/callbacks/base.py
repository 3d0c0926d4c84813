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
    """Base class: every hook is optional and does nothing by default.

    Subclass it and override the hooks you need; each receives the
    :class:`~xpnet.train.loop.Loop`.  Set the class attribute ``order`` to run
    before (lower) or after (higher) the built-in callbacks (table above).

    >>> import xpnet
    >>> from xpnet import nn, optim
    >>> from xpnet.data import DataLoader, TensorDataset
    >>> from xpnet.train import fit
    >>> class Trace(Callback):
    ...     def __init__(self):
    ...         self.calls = []
    ...     def on_epoch_begin(self, loop):
    ...         self.calls.append(f"epoch {loop.epoch}")
    ...     def on_batch_end(self, loop):
    ...         self.calls.append(f"step {loop.step}")
    >>> _ = xpnet.manual_seed(0)
    >>> data = TensorDataset(xpnet.randn(4, 2), xpnet.tensor([0, 1, 0, 1]))
    >>> model, trace = nn.Linear(2, 2), Trace()
    >>> _ = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
    ...         DataLoader(data, batch_size=2), epochs=2, callbacks=[trace], progress=False)
    >>> trace.calls
    ['epoch 1', 'step 1', 'step 2', 'epoch 2', 'step 3', 'step 4']
    """

    #: position among the callbacks of one ``fit`` (lower runs first)
    order: int = 0

    def on_train_begin(self, loop) -> None:
        """Once, before the first epoch (``loop.epoch`` is ``initial_epoch``).

        >>> from types import SimpleNamespace
        >>> class Announce(Callback):
        ...     def on_train_begin(self, loop):
        ...         print(f"training epochs {loop.initial_epoch + 1}..{loop.epochs}")
        >>> Announce().on_train_begin(SimpleNamespace(initial_epoch=2, epochs=5))
        training epochs 3..5
        """

    def on_epoch_begin(self, loop) -> None:
        """Before each epoch's first batch; ``loop.epoch`` is the 1-based epoch.

        >>> from types import SimpleNamespace
        >>> class Warmup(Callback):            # a tenth of the lr in epoch 1
        ...     def on_epoch_begin(self, loop):
        ...         loop.optimizer.param_groups[0]["lr"] = 0.01 if loop.epoch == 1 else 0.1
        >>> loop = SimpleNamespace(epoch=1, optimizer=SimpleNamespace(param_groups=[{}]))
        >>> Warmup().on_epoch_begin(loop); loop.optimizer.param_groups
        [{'lr': 0.01}]
        """

    def on_after_backward(self, loop) -> None:
        """After ``loss.backward()``: gradients are in ``p.grad``, the step is not yet taken.

        The place to inspect or change gradients (:class:`ClipGradNorm`,
        :class:`GradientMonitor`, :class:`TerminateOnNaN` use it).

        >>> import xpnet
        >>> from types import SimpleNamespace
        >>> class HalveGrads(Callback):
        ...     def on_after_backward(self, loop):
        ...         for p in loop.model.parameters():
        ...             p.grad = p.grad * 0.5
        >>> model = xpnet.nn.Linear(2, 1)
        >>> model(xpnet.ones(1, 2)).sum().backward()      # bias.grad = [1.]
        >>> HalveGrads().on_after_backward(SimpleNamespace(model=model))
        >>> model.bias.grad.numpy()
        array([0.5], dtype=float32)
        """

    def on_batch_end(self, loop) -> None:
        """After ``optimizer.step()``; ``loop.step_loss`` is this step's loss (a float).

        >>> from types import SimpleNamespace
        >>> class Every100(Callback):
        ...     def on_batch_end(self, loop):
        ...         if loop.step % 100 == 0:
        ...             print(f"step {loop.step}: loss {loop.step_loss:.3f}")
        >>> Every100().on_batch_end(SimpleNamespace(step=200, step_loss=0.12345))
        step 200: loss 0.123
        """

    def on_epoch_end(self, loop) -> None:
        """After validation; ``loop.record`` is this epoch's history dict.

        A hook may add keys to ``loop.record`` (they go to the history) and set
        ``loop.stop = True`` to end training after this epoch.

        >>> from types import SimpleNamespace
        >>> class StopBelow(Callback):
        ...     def on_epoch_end(self, loop):
        ...         loop.record["gap"] = loop.record["val_loss"] - loop.record["loss"]
        ...         loop.stop = loop.record["val_loss"] < 0.1
        >>> loop = SimpleNamespace(record={"loss": 0.05, "val_loss": 0.08}, stop=False)
        >>> StopBelow().on_epoch_end(loop); loop.stop, round(loop.record["gap"], 2)
        (True, 0.03)
        """

    def on_train_end(self, loop) -> None:
        """Once, when ``fit`` returns or raises (``loop.error`` is then the exception).

        >>> from types import SimpleNamespace
        >>> class Report(Callback):
        ...     def on_train_end(self, loop):
        ...         print("failed" if loop.error else "finished", "at epoch", loop.epoch)
        >>> Report().on_train_end(SimpleNamespace(error=None, epoch=3))
        finished at epoch 3
        """


def sorted_callbacks(callbacks: Iterable[Callback]) -> List[Callback]:
    """``callbacks`` as a list sorted by ``order`` (stable); ``TypeError`` for a non-Callback."""
    callbacks = list(callbacks)
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise TypeError(f"fit(callbacks=...): callbacks[{i}] must be an "
                            f"xpnet.train.callbacks.Callback; got {type(cb).__name__}")
    return sorted(callbacks, key=lambda cb: cb.order)
