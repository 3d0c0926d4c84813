"""What the training loop records and how a model is scored: ``History``,
``evaluate``, ``predict`` (``fit`` itself is in :mod:`xpnet.train.loop`).

Losses and metrics are summed on the device, batch by batch, and fetched to
the host once per pass (:class:`_Means`), so scoring a loader costs one host
transfer, not one per batch.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from ..autograd import Tensor, cat, no_grad
from .metrics import METRICS


@dataclass
class History:
    """The per-epoch records of ``fit``, one dict per epoch in ``history.epochs``.

    ``history.epochs[i]`` is a dict such as ``{"epoch": 1, "loss": 0.41,
    "accuracy": 0.88, "val_loss": 0.32, "val_accuracy": 0.91, "lr": 0.001,
    "seconds": 0.8}``; ``history[key]`` lists one key over the epochs that
    have it.

    >>> h = History([{"epoch": 1, "loss": 0.9, "val_loss": 1.0}, {"epoch": 2, "loss": 0.5}])
    >>> h["loss"], h["val_loss"], h.last["epoch"]
    ([0.9, 0.5], [1.0], 2)
    """
    epochs: List[Dict[str, float]] = field(default_factory=list)

    def __getitem__(self, key: str) -> List[float]:
        """All epochs' values of one key, e.g. ``history["val_accuracy"]``."""
        return [e[key] for e in self.epochs if key in e]

    @property
    def last(self) -> Dict[str, float]:
        """The latest epoch's record (``{}`` before the first epoch).

        >>> History().last, History([{"epoch": 1}, {"epoch": 2}]).last
        ({}, {'epoch': 2})
        """
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
    """Sample-weighted means of the loss and the metrics over the batches of one pass.

    Each batch adds ``n * value`` to a float64 vector on the device (no
    host transfer); :meth:`means` fetches the vector once.
    """

    def __init__(self, metric_fns: Dict[str, Callable]):
        self.fns = metric_fns
        self.names: List[str] = []
        self.total = None
        self.count = 0
        self.backend = None

    def add(self, out, y, n: int, loss=None) -> None:
        """One batch of ``n`` samples: its mean ``loss`` (a 0-d backend array, if
        given) and each metric of ``out`` against ``y``."""
        self.count += n
        xp = out.backend.xp
        values = ([] if loss is None else [loss]) + [fn(out, y) for fn in self.fns.values()]
        if not values:
            return
        self.names = (["loss"] if loss is not None else []) + list(self.fns)
        batch = xp.stack([xp.astype(v, xp.float64) for v in values]) * float(n)
        self.total = batch if self.total is None else self.total + batch
        self.backend = out.backend

    def means(self) -> Dict[str, float]:
        """``{name: mean over the samples seen}``: one host transfer."""
        if self.total is None:
            return {}
        host = self.backend.to_numpy(self.total) / self.count
        return dict(zip(self.names, host.tolist()))


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

    Batches are weighted by their size, so the result is the mean over
    samples: ``{"loss": sum_b n_b * loss_b / N, metric: ...}`` (``"loss"``
    only with a ``loss_fn``; metric names from
    :data:`xpnet.train.metrics.METRICS`).  One host transfer for the whole
    loader.  The model's train/eval mode is restored afterwards.

    >>> import xpnet
    >>> from xpnet import nn
    >>> from xpnet.data import DataLoader, TensorDataset
    >>> model = nn.Linear(2, 2)
    >>> _ = nn.init.zeros_(model.weight), nn.init.zeros_(model.bias)  # every logit is 0
    >>> data = TensorDataset(xpnet.ones(4, 2), xpnet.tensor([0, 1, 0, 0]))
    >>> scores = evaluate(model, DataLoader(data, batch_size=3), nn.CrossEntropyLoss())
    >>> {k: round(v, 4) for k, v in scores.items()}   # loss ln 2; a tie's argmax is class 0
    {'loss': 0.6931, 'accuracy': 0.75}
    """
    means = _Means(_metric_fns(metrics))
    with _eval_mode(model):
        for x, y in loader:
            out = model(x)
            means.add(out, y, x.shape[0], None if loss_fn is None else loss_fn(out, y).data)
    if means.count == 0:
        raise ValueError("evaluate: the loader yielded no samples")
    return means.means()


def predict(model, x: Tensor, batch_size: int = 256) -> Tensor:
    """``model(x)`` in eval mode without gradients, in batches of ``batch_size`` rows.

    ``x`` has shape ``(N, ...)``; the outputs of the batches are concatenated
    along dim 0, so the result is ``(N, *out_shape)``.  The model's mode is
    restored afterwards.

    >>> import xpnet
    >>> model = xpnet.nn.Linear(3, 2)
    >>> out = predict(model, xpnet.ones(10, 3), batch_size=4)   # batches of 4, 4 and 2 rows
    >>> tuple(out.shape), out.requires_grad, model.training
    ((10, 2), False, True)
    """
    _check_positive_int("batch_size", batch_size)
    with _eval_mode(model):
        n = x.shape[0]
        parts = [model(x[i:min(i + batch_size, n)]) for i in range(0, n, batch_size)]
    return cat(parts, dim=0)
