"""A small training loop: ``fit``, ``evaluate``, ``predict``.

One epoch of ``fit`` is the classic loop, written out so it can be read::

    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

Whether that is batch, mini-batch or stochastic gradient descent is only the
loader's ``batch_size`` (``len(data)``, ``n`` or ``1``).
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from ..autograd import Tensor, cat, no_grad
from .metrics import METRICS


@dataclass
class History:
    """Per-epoch records of ``fit``: ``history.epochs[i]`` is a dict such as
    ``{"epoch": 1, "loss": 0.41, "accuracy": 0.88, "val_loss": 0.32,
    "val_accuracy": 0.91, "lr": 0.001, "seconds": 0.8}``."""
    epochs: List[Dict[str, float]] = field(default_factory=list)

    def __getitem__(self, key: str) -> List[float]:
        """All epochs' values of one key, e.g. ``history["val_accuracy"]``."""
        return [e[key] for e in self.epochs if key in e]

    @property
    def last(self) -> Dict[str, float]:
        return self.epochs[-1] if self.epochs else {}


def _metric_fns(metrics: Sequence[str]) -> Dict[str, Callable]:
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"metrics must be among {sorted(METRICS)}; got {unknown}")
    return {m: METRICS[m] for m in metrics}


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}")


class _Means:
    """Sample-weighted means of the loss and the metrics over the batches of one pass."""

    def __init__(self, metric_fns: Dict[str, Callable]):
        self.fns = metric_fns
        self.totals: Dict[str, float] = {}
        self.count = 0

    def add(self, out, y, n: int, loss: Optional[float] = None) -> None:
        """One batch of ``n`` samples: its mean ``loss`` (if given) and each metric of ``out``."""
        self.count += n
        if loss is not None:
            self.totals["loss"] = self.totals.get("loss", 0.0) + loss * n
        for name, fn in self.fns.items():
            self.totals[name] = self.totals.get(name, 0.0) + fn(out, y) * n

    def means(self) -> Dict[str, float]:
        return {k: v / self.count for k, v in self.totals.items()}


@contextmanager
def _eval_mode(model):
    """``model.eval()`` and no gradients inside; the model's previous mode restored after."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        model.train(was_training)


def evaluate(model, loader, loss_fn: Optional[Callable] = None,
             metrics: Sequence[str] = ("accuracy",)) -> Dict[str, float]:
    """Mean loss and metrics of ``model`` over ``loader`` in eval mode, without gradients.

    Batches are weighted by their size, so the result is the mean over samples.
    """
    means = _Means(_metric_fns(metrics))
    with _eval_mode(model):
        for x, y in loader:
            out = model(x)
            means.add(out, y, x.shape[0], None if loss_fn is None else loss_fn(out, y).item())
    if means.count == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    return means.means()


def predict(model, x: Tensor, batch_size: int = 256) -> Tensor:
    """``model(x)`` in eval mode without gradients, in batches of ``batch_size`` rows."""
    _check_positive_int("batch_size", batch_size)
    with _eval_mode(model):
        n = x.shape[0]
        parts = [model(x[i:min(i + batch_size, n)]) for i in range(0, n, batch_size)]
    return cat(parts, dim=0)


def fit(model, loss_fn: Callable, optimizer, train_loader, epochs: int = 1, val_loader=None,
        scheduler=None, metrics: Sequence[str] = ("accuracy",), progress: bool = True,
        on_epoch_end: Optional[Callable[[Dict[str, float]], None]] = None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; returns the :class:`History`.

    Each epoch records the mean training loss and metrics (over the samples
    seen, measured on the fly in training mode), the validation loss and
    metrics when ``val_loader`` is given (prefixed ``val_``), the learning
    rate and the wall time.  ``scheduler.step()`` is called once per epoch.
    ``progress`` shows a bar on the terminal (tqdm).  Training stops with a
    ``FloatingPointError`` when the loss becomes NaN or infinite (exploding
    gradients: lower the learning rate or clip gradients).
    """
    _check_positive_int("epochs", epochs)
    fns = _metric_fns(metrics)
    history = History()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=epochs * len(train_loader), unit="batch", leave=True, dynamic_ncols=True)
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            model.train()
            means = _Means(fns)
            for x, y in train_loader:
                optimizer.zero_grad()
                out = model(x)
                loss = loss_fn(out, y)
                loss.backward()
                optimizer.step()
                value = loss.item()
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"loss became {value} at epoch {epoch}: lower the learning rate, "
                        f"scale the features, or clip the gradients")
                means.add(out, y, x.shape[0], value)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(epoch=epoch, loss=f"{means.totals['loss'] / means.count:.4f}")
            record = {"epoch": epoch, **means.means()}
            if val_loader is not None:
                record.update({f"val_{k}": v for k, v in
                               evaluate(model, val_loader, loss_fn, metrics).items()})
            record["lr"] = optimizer.param_groups[0]["lr"]
            if scheduler is not None:
                scheduler.step()
            record["seconds"] = time.perf_counter() - start
            history.epochs.append(record)
            if bar is not None:
                bar.set_postfix({k: f"{v:.4f}" for k, v in record.items()
                                 if k not in ("epoch", "seconds", "lr")})
            if on_epoch_end is not None:
                on_epoch_end(record)
    finally:
        if bar is not None:
            bar.close()
    return history
