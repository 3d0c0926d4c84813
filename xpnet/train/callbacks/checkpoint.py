"""``ModelCheckpoint``: write the resumable training state every epoch, and the best one."""
from __future__ import annotations

import math
import os
from typing import Any, Dict, Optional

from ...checkpoint import save
from ..state import training_state
from .base import Callback
from .early_stopping import check_mode, improved, monitored


def best_path(path) -> str:
    """Where the best epoch goes next to ``path``: ``.best`` before the suffix
    (``run/ckpt.xpt`` -> ``run/ckpt.best.xpt``; no suffix: ``ckpt`` -> ``ckpt.best``)."""
    root, ext = os.path.splitext(os.fspath(path))
    return f"{root}.best{ext}"


class ModelCheckpoint(Callback):
    """Save the full resumable state (:func:`xpnet.train.state.training_state`) with :func:`xpnet.save`.

    * ``save_best_only=False`` (default): ``path`` is rewritten at the end of
      every epoch (the latest state, to resume from), and whenever
      ``record[monitor]`` improves the same state also goes to
      :func:`best_path` (``ckpt.xpt`` -> ``ckpt.best.xpt``).  ``monitor=None``
      writes only ``path``.
    * ``save_best_only=True``: ``path`` is written only when ``monitor``
      improves (Keras' behaviour), so it always holds the best epoch.

    "Improves" is strictly better than every earlier epoch (``mode="max"``:
    greater, ``"min"``: smaller); ties keep the earlier epoch; a NaN is never best.  On a resumed
    run the best value so far is read from the history.  Writes are atomic
    (:func:`xpnet.save`), so an interrupted or failed run (e.g. the NaN guard)
    leaves the last complete checkpoint in place.  It runs after the other
    callbacks (``order = 10``), so the state includes the stepped scheduler and
    whatever they added to the record.

    Args:
        path: the file to write (any name; ``.xpt`` by convention).
        monitor, mode: the history key that decides "best", and its direction.
        save_best_only: see above.
        extra: a dict stored under ``"extra"`` (e.g. scaler statistics, the config).

    Attributes: ``best`` (value) and ``best_epoch`` (1-based; 0 before any).

    Three epochs driven by hand (``fit(..., callbacks=[ckpt])`` does the same):

    >>> import os, tempfile, xpnet
    >>> from xpnet import nn, optim
    >>> from xpnet.train import History, Loop
    >>> folder = tempfile.TemporaryDirectory()
    >>> ckpt = ModelCheckpoint(os.path.join(folder.name, "run.xpt"), monitor="val_loss",
    ...                        mode="min")
    >>> model = nn.Linear(2, 2)
    >>> loop = Loop(model, None, optim.SGD(model.parameters(), lr=0.1), [], None, None, (),
    ...             epochs=3, initial_epoch=0, history=History())
    >>> ckpt.on_train_begin(loop)
    >>> for epoch, val_loss in enumerate([0.4, 0.7, 0.5], start=1):
    ...     loop.epoch, loop.record = epoch, {"epoch": epoch, "val_loss": val_loss}
    ...     loop.history.epochs.append(loop.record)
    ...     ckpt.on_epoch_end(loop)
    >>> sorted(os.listdir(folder.name)), os.path.basename(ckpt.best_path)
    (['run.best.xpt', 'run.xpt'], 'run.best.xpt')
    >>> xpnet.load(ckpt.path)["epoch"], xpnet.load(ckpt.best_path)["epoch"]   # latest, best
    (3, 1)
    >>> folder.cleanup()
    """

    order = 10

    def __init__(self, path, monitor: Optional[str] = "val_accuracy", mode: str = "max",
                 save_best_only: bool = False, extra: Optional[Dict[str, Any]] = None):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"ModelCheckpoint(path) must be a str or path; got {path!r}")
        if monitor is not None or save_best_only:
            check_mode("ModelCheckpoint", monitor, mode)
        if extra is not None and not isinstance(extra, dict):
            raise TypeError(f"ModelCheckpoint(extra=...) must be a dict or None; "
                            f"got {type(extra).__name__}")
        self.path, self.best_path = os.fspath(path), best_path(path)
        self.monitor, self.mode, self.save_best_only = monitor, mode, bool(save_best_only)
        self.extra = extra
        self.best, self.best_epoch = math.nan, 0

    def _is_best(self, record: dict) -> bool:
        if self.monitor is None:
            return False
        value = monitored("ModelCheckpoint", record, self.monitor)
        if math.isnan(value) or self.best_epoch and not improved(value, self.best, self.mode):
            return False  # a NaN is never best (it would beat nothing after it)
        self.best, self.best_epoch = value, record["epoch"]
        return True

    def on_train_begin(self, loop) -> None:
        self.best, self.best_epoch = math.nan, 0
        for record in loop.history.epochs:  # a resumed run: the best so far
            if self.monitor in record:
                self._is_best(record)

    def on_epoch_end(self, loop) -> None:
        is_best = self._is_best(loop.record)
        if self.save_best_only and not is_best:
            return
        state = training_state(loop, self.extra)
        save(state, self.path)
        if is_best and not self.save_best_only:
            save(state, self.best_path)
