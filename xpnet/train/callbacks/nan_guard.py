"""The NaN/Inf guard: stop on the first non-finite loss or gradient, before the step.

Every step the loop fetches the loss and one flag, "the loss and every
gradient are finite", in a single host transfer (``loop.step_loss``,
``loop.step_finite``); see :mod:`xpnet.train.loop`.  Only when the flag trips
does :class:`TerminateOnNaN` scan the parameters by name (one transfer per
parameter, once) to say which gradient went bad, then raises
:class:`NonFiniteError` from ``on_after_backward``: ``optimizer.step()`` is
never called with the bad gradients, so the weights stay those of the last
finite step, and a checkpoint written at the end of an earlier epoch stays on
disk untouched.

``fit`` adds a ``TerminateOnNaN()`` unless you pass one or ``nan_guard=False``.
"""
from __future__ import annotations

import math
from typing import Optional

from .base import Callback

REMEDIES = ("lower the learning rate (--lr), clip the gradients (--clip-grad-norm 1.0, "
            "or nn.utils.clip_grad_norm_ in your loop), or scale the inputs "
            "(--scale standard, or a StandardScaler fitted on the training data)")


class NonFiniteError(FloatingPointError):
    """Training met a NaN or infinite loss or gradient (a ``FloatingPointError``).

    Attributes: ``epoch`` and ``step`` (1-based, global step), ``loss`` (the
    step's loss, a float, possibly finite), ``parameter`` (the name of the
    first parameter in ``model.named_parameters()`` order whose gradient has
    a NaN or infinity, or None if every gradient is finite).

    >>> import xpnet
    >>> from xpnet import nn, optim
    >>> from xpnet.data import DataLoader, TensorDataset
    >>> from xpnet.train import fit
    >>> model = nn.Linear(2, 2)
    >>> bad = TensorDataset(xpnet.tensor([[1.0, float("nan")]]), xpnet.tensor([0]))
    >>> try:
    ...     fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
    ...         DataLoader(bad), progress=False)
    ... except NonFiniteError as e:
    ...     print(e.epoch, e.step, e.loss, e.parameter)
    1 1 nan weight
    """

    def __init__(self, message: str, epoch: int, step: int, loss: float,
                 parameter: Optional[str]):
        super().__init__(message)
        self.epoch, self.step, self.loss, self.parameter = epoch, step, loss, parameter


def _finite(t) -> bool:
    xp = t.backend.xp
    return bool(t.backend.to_numpy(xp.all(xp.isfinite(t.data))))


def nonfinite_gradients(model) -> list:
    """Names of the parameters of ``model`` whose ``.grad`` holds a NaN or infinity,
    in ``named_parameters()`` order (one host transfer per parameter with a grad)."""
    return [name for name, p in model.named_parameters()
            if p.grad is not None and not _finite(p.grad)]


class TerminateOnNaN(Callback):
    """Raise :class:`NonFiniteError` at the first step whose loss or gradients are not finite.

    The message names the epoch, the step, the batch within the epoch, the
    first parameter whose gradient is non-finite, and the usual remedies.
    The check itself costs nothing beyond the loop's one transfer per step;
    the names are looked up only when it trips.

    The guard runs before each step, so the weights it leaves are those the
    bad step's forward pass used.  They are finite unless an earlier step's
    *update* overflowed (finite gradient times a huge learning rate); the
    message then names the first non-finite parameter instead.

    >>> from xpnet.train.callbacks import TerminateOnNaN
    >>> guard = TerminateOnNaN()   # fit(..., callbacks=[guard]); fit adds one by default
    """

    order = -20

    def on_after_backward(self, loop) -> None:
        if loop.step_finite:
            return
        bad = nonfinite_gradients(loop.net)
        first = bad[0] if bad else None
        n_params = sum(1 for _ in loop.net.parameters())
        loss = loop.step_loss
        what = "non-finite loss" if not math.isfinite(loss) else "non-finite gradient"
        where = (f"the first parameter with a non-finite gradient is {first!r} "
                 f"({len(bad)} of {n_params} parameters)" if bad else
                 "every gradient is finite")
        overflowed = next((name for name, p in loop.net.named_parameters() if not _finite(p)),
                          None)
        weights = (f"the step was not taken, so the weights are those after step "
                   f"{loop.step - 1}" if overflowed is None else
                   f"parameter {overflowed!r} itself is already non-finite: the update of an "
                   f"earlier step overflowed (the learning rate is far too large)")
        raise NonFiniteError(
            f"{what} at epoch {loop.epoch}, step {loop.step} (batch {loop.batch_in_epoch} "
            f"of {loop.batches_per_epoch}): loss {loss}; {where}; {weights}. Usual "
            f"remedies: {REMEDIES}", loop.epoch, loop.step, loss, first)
