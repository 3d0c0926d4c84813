"""``fit``: the training loop, with callbacks, the NaN guard and resumption.

One epoch is the classic loop, written out so it can be read (the hooks of
:mod:`xpnet.train.callbacks` sit between its lines)::

    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

Whether that is batch, mini-batch or stochastic gradient descent is only the
loader's ``batch_size`` (``len(data)``, ``n`` or ``1``).

Host synchronization: each step fetches two numbers from the device in one
transfer, the loss and a flag "the loss and every gradient are finite"
(``loop.step_loss``, ``loop.step_finite``); that flag is the NaN guard's
input.  The epoch's mean loss and metrics are summed on the device and
fetched once per epoch, validation once per pass.
"""
from __future__ import annotations

import time
from typing import Callable, Optional, Sequence, Tuple

from ..host import check_int
from .callbacks import LRSchedulerCallback, ProgressBar, TerminateOnNaN
from .callbacks.base import sorted_callbacks
from .trainer import History, _check_positive_int, _Means, _metric_fns, evaluate


class Loop:
    """The state of one :func:`fit` call, handed to every callback hook.

    Attributes:
        model, loss_fn, optimizer, scheduler, train_loader, val_loader: as given to ``fit``
            (``scheduler`` is also taken from an :class:`LRSchedulerCallback`).
        metrics: the metric names.
        epoch: the current epoch, 1-based (``initial_epoch`` before the first).
        epochs: the last epoch to run; initial_epoch: the epochs done before this ``fit``.
        step: optimizer steps so far over the whole run (1 during the first
            step; a resumed run starts at ``initial_epoch * len(train_loader)``).
        batch_in_epoch: the current batch, 1-based; batches_per_epoch: ``len(train_loader)``.
        batch_size: the number of samples in the current batch.
        step_loss: this step's loss (float); step_finite: loss and gradients all finite.
        history: the :class:`History`; record: the current epoch's dict (set at its end).
        stop: set to True in a hook to end training after the current epoch.
        error: the exception ``fit`` is raising, in ``on_train_end``; else None.
        net: ``model`` without a data-parallel wrapper (see :attr:`net`).

    ``fit`` builds it; building one by hand is a way to unit-test a callback.

    >>> from xpnet import nn
    >>> model = nn.Linear(2, 2)
    >>> loop = Loop(model, nn.MSELoss(), None, [None] * 3, None, None, (), epochs=5,
    ...             initial_epoch=2, history=History())   # a run resumed after epoch 2
    >>> loop.epoch, loop.step, loop.batches_per_epoch
    (2, 6, 3)
    """

    def __init__(self, model, loss_fn, optimizer, train_loader, val_loader, scheduler,
                 metrics, epochs: int, initial_epoch: int, history: History):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.train_loader, self.val_loader, self.scheduler = train_loader, val_loader, scheduler
        self.metrics = tuple(metrics)
        self.epochs, self.initial_epoch, self.epoch = epochs, initial_epoch, initial_epoch
        self.batches_per_epoch = len(train_loader)
        self.step = initial_epoch * self.batches_per_epoch
        self.batch_in_epoch, self.batch_size = 0, 0
        self.step_loss, self.step_finite = float("nan"), True
        self.history, self.record = history, {}
        self.stop, self.error = False, None

    @property
    def net(self):
        """The model a checkpoint, a monitor or a message should name (``model`` unwrapped).

        That is ``model`` itself, or the module a wrapper such as
        ``DistributedDataParallel`` holds in its ``module`` attribute (as in
        PyTorch, a checkpoint stores the wrapped module's state dict, so it
        loads with or without the wrapper).

        >>> import xpnet
        >>> from xpnet.distributed import DistributedDataParallel
        >>> model = xpnet.nn.Linear(2, 2)
        >>> loop = Loop(DistributedDataParallel(model), None, None, [], None, None, (),
        ...             epochs=1, initial_epoch=0, history=History())
        >>> loop.net is model, loop.model is model
        (True, False)
        """
        inner = getattr(self.model, "module", None)
        return inner if inner is not None and hasattr(inner, "state_dict") else self.model


def _fetch_step(loss, parameters) -> Tuple[float, bool]:
    """``(loss, all finite)`` for the loss and every gradient, in ONE host transfer."""
    be = loss.backend
    xp = be.xp
    flags = [xp.all(xp.isfinite(loss.data))]
    flags += [xp.all(xp.isfinite(p.grad.data)) for p in parameters if p.grad is not None]
    both = xp.stack([xp.astype(loss.data, xp.float64),
                     xp.astype(xp.all(xp.stack(flags)), xp.float64)])
    host = be.to_numpy(both)
    return float(host[0]), bool(host[1])


def _run_epoch(loop: Loop, callbacks, metric_fns, parameters) -> None:
    def hook(name):
        for cb in callbacks:
            getattr(cb, name)(loop)

    model, optimizer = loop.model, loop.optimizer
    loop.batch_in_epoch = 0
    if hasattr(loop.train_loader, "set_epoch"):  # the order of epoch e: a function of (seed, e)
        loop.train_loader.set_epoch(loop.epoch - 1)
    start = time.perf_counter()
    model.train()
    hook("on_epoch_begin")
    means = _Means(metric_fns)
    for x, y in loop.train_loader:
        loop.step += 1
        loop.batch_in_epoch += 1
        loop.batch_size = x.shape[0]
        optimizer.zero_grad()
        out = model(x)
        loss = loop.loss_fn(out, y)
        loss.backward()
        loop.step_loss, loop.step_finite = _fetch_step(loss, parameters)
        hook("on_after_backward")
        optimizer.step()
        means.add(out, y, x.shape[0], loss.data)
        hook("on_batch_end")
    if means.count == 0:
        raise ValueError(f"fit: train_loader yielded no samples in epoch {loop.epoch}")
    record = {"epoch": loop.epoch, **means.means()}
    if loop.val_loader is not None:
        record.update({f"val_{k}": v for k, v in
                       evaluate(model, loop.val_loader, loop.loss_fn, loop.metrics).items()})
    record["lr"] = optimizer.param_groups[0]["lr"]
    record["seconds"] = time.perf_counter() - start
    loop.record = record
    loop.history.epochs.append(record)
    hook("on_epoch_end")


def _check_resume(initial_epoch, epochs, history) -> History:
    initial_epoch = check_int(initial_epoch, "fit(initial_epoch=...)", 0)
    if initial_epoch > epochs:
        raise ValueError(f"fit: initial_epoch={initial_epoch} is past epochs={epochs}; epochs "
                         f"is the number of the last epoch to run, not how many more")
    if history is None:
        return History()
    if not isinstance(history, History):
        raise TypeError(f"fit(history=...) must be the History of the earlier epochs; "
                        f"got {type(history).__name__}")
    done = history.last.get("epoch", 0)
    if done != initial_epoch:
        raise ValueError(f"fit: history ends at epoch {done} but initial_epoch={initial_epoch}; "
                         f"pass initial_epoch=len(history.epochs) to continue it")
    return history


def fit(model, loss_fn: Callable, optimizer, train_loader, epochs: int = 1, val_loader=None,
        scheduler=None, metrics: Sequence[str] = ("accuracy",), callbacks: Sequence = (),
        progress: bool = True, initial_epoch: int = 0, history: Optional[History] = None,
        nan_guard: bool = True) -> History:
    """Train ``model`` up to epoch ``epochs`` over ``train_loader``; returns the :class:`History`.

    Each epoch records (``history.epochs[i]``) the mean training loss and
    metrics over the samples seen (measured on the fly, in training mode),
    the validation loss and metrics when ``val_loader`` is given (prefixed
    ``val_``), the learning rate the epoch used, the wall time
    (``seconds``), and whatever callbacks add.  Epoch ``e`` (1-based) uses
    the loader's order ``train_loader.set_epoch(e - 1)``.

    Args:
        model, loss_fn, optimizer, train_loader: what to train, on what.
        epochs: the number of the last epoch (>= 1).
        val_loader: scored with :func:`evaluate` after every epoch.
        scheduler: stepped once per epoch, after validation (an
            :class:`~xpnet.train.callbacks.LRSchedulerCallback`).
        metrics: names from :data:`xpnet.train.metrics.METRICS`.
        callbacks: :class:`~xpnet.train.callbacks.Callback` objects, run in ``order``.
        progress: add a :class:`~xpnet.train.callbacks.ProgressBar` (drawn only
            on a terminal) unless ``callbacks`` has one.
        initial_epoch, history: continue a run whose epochs ``1..initial_epoch``
            are done and recorded in ``history`` (Keras' ``initial_epoch``); see
            :mod:`xpnet.train.state` for restoring the model and optimizer.
        nan_guard: add :class:`~xpnet.train.callbacks.TerminateOnNaN` unless
            ``callbacks`` has one: a NaN or infinite loss or gradient raises
            :class:`~xpnet.train.callbacks.NonFiniteError` (a ``FloatingPointError``)
            naming the epoch, step and parameter, *before* the optimizer
            step, so the weights stay finite.

    Arguments are validated (``ValueError``/``TypeError``) before anything is
    changed.

    >>> import xpnet
    >>> from xpnet import nn, optim
    >>> from xpnet.data import DataLoader, TensorDataset
    >>> x, y = xpnet.randn(32, 2), xpnet.tensor([0, 1] * 16)
    >>> model = nn.Linear(2, 2)
    >>> h = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
    ...         DataLoader(TensorDataset(x, y), batch_size=8), epochs=2, progress=False)
    >>> [r["epoch"] for r in h.epochs]
    [1, 2]
    """
    _check_positive_int("epochs", epochs)
    history = _check_resume(initial_epoch, epochs, history)
    fns = _metric_fns(metrics)
    callbacks = sorted_callbacks(callbacks)
    if nan_guard and not any(isinstance(cb, TerminateOnNaN) for cb in callbacks):
        callbacks.append(TerminateOnNaN())
    if scheduler is not None:
        callbacks.append(LRSchedulerCallback(scheduler))
    if progress and not any(isinstance(cb, ProgressBar) for cb in callbacks):
        callbacks.append(ProgressBar())
    callbacks = sorted_callbacks(callbacks)
    if scheduler is None:
        scheduler = next((cb.scheduler for cb in callbacks
                          if isinstance(cb, LRSchedulerCallback)), None)
    loop = Loop(model, loss_fn, optimizer, train_loader, val_loader, scheduler, metrics,
                epochs, initial_epoch, history)
    parameters = list(model.parameters())
    try:
        for cb in callbacks:
            cb.on_train_begin(loop)
        for epoch in range(initial_epoch + 1, epochs + 1):
            loop.epoch = epoch
            _run_epoch(loop, callbacks, fns, parameters)
            if loop.stop:
                break
    except BaseException as e:
        loop.error = e
        raise
    finally:
        for cb in callbacks:
            cb.on_train_end(loop)
    return loop.history
