"""``EarlyStopping``: stop when a monitored quantity has stopped improving (Keras' semantics)."""
from __future__ import annotations

import math
import warnings
from typing import Optional

from ..state import copy_state
from .base import Callback


def improved(current: float, best: float, mode: str, min_delta: float = 0.0) -> bool:
    """``current < best - min_delta`` for ``mode="min"``, ``current > best + min_delta`` for "max"."""
    return current < best - min_delta if mode == "min" else current > best + min_delta


def check_mode(owner: str, monitor, mode) -> None:
    """``ValueError``/``TypeError`` unless ``monitor`` is a str and ``mode`` is "min" or "max"."""
    if not isinstance(monitor, str):
        raise TypeError(f"{owner}(monitor=...) must be a history key such as 'val_loss'; "
                        f"got {monitor!r}")
    if mode not in ("min", "max"):
        raise ValueError(f"{owner}(mode=...) must be 'min' or 'max'; got {mode!r}")


def monitored(owner: str, record: dict, monitor: str) -> float:
    """``record[monitor]``, or a ``ValueError`` listing the keys the record has."""
    if monitor not in record:
        raise ValueError(f"{owner}(monitor={monitor!r}): the epoch record has no {monitor!r}; "
                         f"it has {sorted(record)} (val_* keys need fit(val_loader=...))")
    return float(record[monitor])


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    After each epoch: if ``record[monitor]`` improved on the best so far by
    more than ``min_delta`` (``current < best - min_delta`` with
    ``mode="min"``, ``current > best + min_delta`` with ``mode="max"``) it
    becomes the best and the wait counter resets to 0; otherwise the counter
    grows by one, and when it reaches ``patience`` training stops after this
    epoch (``loop.stop = True``).  ``patience=0`` stops at the first epoch
    that does not improve.  With ``restore_best_weights`` the model gets the
    weights (and buffers) of the best epoch back when training ends normally,
    whether it stopped early or not (as Keras 3).

    On a resumed run (``fit(initial_epoch=k, history=...)``) the best value
    and the wait counter are rebuilt from the history's epochs; weights of
    epochs before the resume are not available, so only later ones can be
    restored (if the best epoch is an earlier one, a ``UserWarning`` says so
    and the weights stay those of the last epoch).

    Attributes: ``best``, ``best_epoch``, ``wait``, ``stopped_epoch`` (1-based; 0 if it
    did not stop).

    Driven by hand with a validation loss that stops improving after epoch 2
    (``fit(..., callbacks=[stop])`` calls the hooks the same way):

    >>> from types import SimpleNamespace
    >>> from xpnet.train import History
    >>> stop = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.01)
    >>> loop = SimpleNamespace(history=History(), stop=False)
    >>> stop.on_train_begin(loop)
    >>> for epoch, val_loss in enumerate([0.9, 0.5, 0.495, 0.6, 0.4], start=1):
    ...     loop.epoch, loop.record = epoch, {"epoch": epoch, "val_loss": val_loss}
    ...     stop.on_epoch_end(loop)
    ...     if loop.stop:
    ...         break
    >>> stop.stopped_epoch, stop.best_epoch, stop.best   # 0.495 is not below 0.5 - 0.01
    (4, 2, 0.5)
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "min", patience: int = 0,
                 min_delta: float = 0.0, restore_best_weights: bool = False):
        check_mode("EarlyStopping", monitor, mode)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping(patience=...) must be an int >= 0; got {patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) \
                or not min_delta >= 0:
            raise ValueError(f"EarlyStopping(min_delta=...) must be a number >= 0; got {min_delta!r}")
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.min_delta = float(min_delta)
        self.restore_best_weights = bool(restore_best_weights)
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch, self.wait, self.stopped_epoch = 0, 0, 0
        self.best_weights: Optional[dict] = None

    def _observe(self, record: dict) -> bool:
        """Update best/wait from one epoch's record; True if it improved."""
        current = monitored("EarlyStopping", record, self.monitor)
        if improved(current, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = current, record["epoch"], 0
            return True
        self.wait += 1
        return False

    def on_train_begin(self, loop) -> None:
        self._reset()
        for record in loop.history.epochs:  # a resumed run: replay the epochs done
            self._observe(record)

    def on_epoch_end(self, loop) -> None:
        if self._observe(loop.record):
            if self.restore_best_weights:
                self.best_weights = copy_state(loop.net)
        elif self.wait >= self.patience:  # only an epoch that did not improve stops
            self.stopped_epoch = loop.epoch
            loop.stop = True

    def on_train_end(self, loop) -> None:
        if not self.restore_best_weights or loop.error is not None:
            return
        if self.best_weights is not None:
            loop.net.load_state_dict(self.best_weights)
        elif self.best_epoch:  # the best epoch is older than this (resumed) fit
            warnings.warn(f"EarlyStopping(restore_best_weights=True): the best epoch "
                          f"({self.best_epoch}, {self.monitor}={self.best}) was trained before "
                          f"this run resumed, so its weights are not in memory; the model keeps "
                          f"those of epoch {loop.epoch} (a ModelCheckpoint's best file holds "
                          f"epoch {self.best_epoch})", stacklevel=2)
