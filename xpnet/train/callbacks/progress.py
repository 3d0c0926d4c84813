"""``ProgressBar``: one tqdm bar per epoch, updated every batch with the loss and samples/s."""
from __future__ import annotations

import sys
from typing import Optional

from .base import Callback


def samples_per_epoch(loader) -> Optional[int]:
    """How many samples one pass over ``loader`` yields, if it can be told without iterating
    (a data-parallel rank's share for a sharded ``DataLoader``)."""
    if getattr(loader, "num_replicas", 1) > 1 and hasattr(loader, "batch_indices"):
        order = loader.order(0)  # its length, not its order, matters
        return sum(len(loader.batch_indices(order, b)) for b in range(len(loader)))
    dataset, batch_size = getattr(loader, "dataset", None), getattr(loader, "batch_size", None)
    if getattr(loader, "drop_last", False) and batch_size:
        return len(loader) * batch_size
    return len(dataset) if hasattr(dataset, "__len__") else None


class ProgressBar(Callback):
    """A tqdm progress bar per epoch, with the epoch's running loss and samples/s.

    ``epoch 3/20: 100%|#####| 1347/1347 [00:01, 9.1ksample/s, loss=0.1234]``,
    the loss being the running sample-weighted mean of the epoch; at the end
    of the epoch the bar shows the epoch's record (loss, accuracy, val_loss,
    val_accuracy and whatever other callbacks added).

    Args:
        file: where to draw (default ``sys.stderr`` at the time training begins).
        disable: ``None`` (default) draws only when ``file`` is a terminal, so
            logs and pipes stay clean; ``True``/``False`` force it off/on.
        leave: keep each finished epoch's bar on screen.

    ``fit(progress=True)`` adds ``ProgressBar()`` unless you pass one.

    One epoch of two batches of 4 samples, driven by hand (``fit(...,
    callbacks=[bar])`` does the same), drawn into a string:

    >>> import io
    >>> from types import SimpleNamespace
    >>> out = io.StringIO()
    >>> bar = ProgressBar(file=out, disable=False)
    >>> loop = SimpleNamespace(epoch=1, epochs=2, train_loader=[None] * 2, batch_size=4,
    ...                        step_loss=0.5, record={"epoch": 1, "loss": 0.5, "accuracy": 0.875})
    >>> bar.on_epoch_begin(loop); bar.on_batch_end(loop); bar.on_batch_end(loop)
    >>> bar.on_epoch_end(loop)
    >>> print(out.getvalue().split("\\r")[-1].strip())
    epoch 1/2: 8sample [...sample/s, loss=0.5, accuracy=0.875]
    """

    order = 20

    def __init__(self, file=None, disable: Optional[bool] = None, leave: bool = True):
        if disable is not None and not isinstance(disable, bool):
            raise TypeError(f"ProgressBar(disable=...) must be None, True or False; got {disable!r}")
        self.file, self.disable, self.leave = file, disable, leave
        self._bar = None
        self._loss_sum, self._seen = 0.0, 0

    def on_epoch_begin(self, loop) -> None:
        from tqdm.auto import tqdm
        self._close()
        self._loss_sum, self._seen = 0.0, 0
        self._bar = tqdm(total=samples_per_epoch(loop.train_loader), unit="sample",
                         desc=f"epoch {loop.epoch}/{loop.epochs}",
                         file=self.file if self.file is not None else sys.stderr,
                         disable=self.disable, leave=self.leave, dynamic_ncols=True)

    def on_batch_end(self, loop) -> None:
        self._loss_sum += loop.step_loss * loop.batch_size
        self._seen += loop.batch_size
        self._bar.set_postfix(loss=f"{self._loss_sum / self._seen:.4f}", refresh=False)
        self._bar.update(loop.batch_size)

    def on_epoch_end(self, loop) -> None:
        self._bar.set_postfix({k: f"{v:.4g}" for k, v in loop.record.items()
                               if k not in ("epoch", "seconds") and isinstance(v, float)})
        self._close()

    def on_train_end(self, loop) -> None:
        self._close()

    def _close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
