"""``GradientMonitor``: per-layer gradient and weight norms, the exploding/vanishing-gradient diagnostic."""
from __future__ import annotations

from typing import Dict, List

from .base import Callback

STATS = ("grad_mean", "grad_max", "grad_last", "weight_mean", "weight_max", "weight_last")


class GradientMonitor(Callback):
    """Record the L2 norm of every parameter's gradient and value at every step.

    At each step (after ``backward``, before the optimizer step and before
    any gradient clipping) it computes, for each parameter ``p`` in
    ``model.named_parameters()`` order, ``||p.grad||_2`` (0 for a parameter
    without gradient) and ``||p||_2`` (the weights that produced this
    gradient), and folds them into per-epoch running statistics *on the
    device*: no host transfer during the epoch.  At the end of each epoch the
    statistics come to the host in one transfer and are appended to
    ``monitor.history[stat][name]``, one value per epoch, for ``stat`` in

    * ``grad_mean``, ``weight_mean``: the mean over the epoch's steps,
    * ``grad_max``, ``weight_max``: the largest value in the epoch,
    * ``grad_last``, ``weight_last``: the value at the epoch's last step.

    The epoch's record gets ``grad_norm_min`` and ``grad_norm_max``: the
    smallest and largest per-parameter ``grad_mean`` (a ratio of many orders
    of magnitude between them, or a max that grows epoch after epoch, is the
    vanishing/exploding-gradient signature).  ``monitor.grad_norms`` is
    ``history["grad_mean"]``, the ``{layer: [per-epoch value]}`` that
    :func:`xpnet.train.plot.plot_training` takes as ``grad_norms``.  Norms are
    computed in each parameter's dtype (float32 overflows to inf above about
    1.8e19, which still reads as "exploded").  A resumed run records the
    epochs it trains.

    One step, driven by hand (``fit(..., callbacks=[monitor])`` does this for
    every step):

    >>> import xpnet
    >>> from types import SimpleNamespace
    >>> model, monitor = xpnet.nn.Linear(2, 1), GradientMonitor()
    >>> loop = SimpleNamespace(net=model, record={})
    >>> monitor.on_train_begin(loop); monitor.on_epoch_begin(loop)
    >>> model(xpnet.ones(1, 2)).sum().backward()     # weight.grad [[1, 1]], bias.grad [1]
    >>> monitor.on_after_backward(loop); monitor.on_epoch_end(loop)
    >>> {name: round(v[0], 4) for name, v in monitor.grad_norms.items()}   # sqrt(2), 1
    {'weight': 1.4142, 'bias': 1.0}
    >>> {key: round(v, 4) for key, v in loop.record.items()}    # added to the epoch's record
    {'grad_norm_min': 1.0, 'grad_norm_max': 1.4142}
    """

    def __init__(self):
        self.history: Dict[str, Dict[str, List[float]]] = {}
        self._params: list = []
        self._reset()

    @property
    def grad_norms(self) -> Dict[str, List[float]]:
        """``{parameter name: [mean gradient norm of each epoch]}`` (``history["grad_mean"]``).

        Empty before training; see the class example for values.

        >>> GradientMonitor().grad_norms
        {}
        """
        return self.history.get("grad_mean", {})

    def _reset(self) -> None:
        self._sum = self._max = self._last = None
        self._count = 0

    def on_train_begin(self, loop) -> None:
        self._params = list(loop.net.named_parameters())
        self.history = {s: {name: [] for name, _ in self._params} for s in STATS}

    def on_epoch_begin(self, loop) -> None:
        self._reset()

    def on_after_backward(self, loop) -> None:
        if not self._params:
            return
        xp = self._params[0][1].backend.xp

        def norm(a):
            return xp.astype(xp.sqrt(xp.sum(a * a)), xp.float64)

        grads = [norm(p.grad.data) if p.grad is not None else xp.asarray(0.0, dtype=xp.float64)
                 for _, p in self._params]
        norms = xp.stack([xp.stack(grads), xp.stack([norm(p.data) for _, p in self._params])])
        first = self._sum is None
        self._sum = norms if first else self._sum + norms
        self._max = norms if first else xp.maximum(self._max, norms)
        self._last = norms
        self._count += 1

    def on_epoch_end(self, loop) -> None:
        if self._sum is None:
            return
        be = self._params[0][1].backend
        host = be.to_numpy(be.xp.stack([self._sum / self._count, self._max, self._last]))
        for i, what in enumerate(("grad", "weight")):
            for j, stat in enumerate(("mean", "max", "last")):
                for k, (name, _) in enumerate(self._params):
                    self.history[f"{what}_{stat}"][name].append(float(host[j, i, k]))
        loop.record["grad_norm_min"] = float(host[0, 0].min())
        loop.record["grad_norm_max"] = float(host[0, 0].max())
