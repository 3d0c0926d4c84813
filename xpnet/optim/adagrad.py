"""Adagrad: per-coordinate step sizes from the running sum of squared gradients (as ``torch.optim.Adagrad``)."""
from __future__ import annotations

from typing import Any, Iterable, Tuple

from ._validation import check_real
from .optimizer import Optimizer


def adagrad_init(param: Any, *, initial_accumulator_value: float = 0.0, xp: Any) -> dict:
    """The state before the first step: ``{"step": 0, "sum": full_like(param, initial_accumulator_value)}``.

    >>> import numpy as np
    >>> adagrad_init(np.zeros(2), initial_accumulator_value=0.1, xp=np)
    {'step': 0, 'sum': array([0.1, 0.1])}
    """
    return {"step": 0, "sum": xp.full_like(param, initial_accumulator_value)}


def adagrad_update(param: Any, grad: Any, state: dict, *, lr: float, lr_decay: float = 0.0,
                   weight_decay: float = 0.0, eps: float = 1e-10, xp: Any) -> Tuple[Any, dict]:
    """One Adagrad step on plain arrays; returns ``(new_param, new_state)``.

    Exactly PyTorch's rule, with ``t`` the step number after incrementing::

        t   = state["step"] + 1
        g   = grad + weight_decay * param
        clr = lr / (1 + (t - 1) * lr_decay)         # decayed learning rate
        s   = state["sum"] + g * g
        param = param - clr * g / (sqrt(s) + eps)    # eps outside the sqrt

    The textbook form (Duchi et al.) has no ``lr_decay`` and often puts
    ``eps`` inside the square root; PyTorch adds it after, as here.

    Args:
        param, grad: arrays of one shape and floating dtype.
        state: ``{"step": int, "sum": array}`` (see :func:`adagrad_init`).
        xp: the Array API namespace of the arrays.

    >>> import numpy as np
    >>> s = adagrad_init(np.array([1.0]), xp=np)
    >>> p, s = adagrad_update(np.array([1.0]), np.array([2.0]), s, lr=0.1, xp=np)
    >>> p, s["step"]
    (array([0.9]), 1)
    """
    step = state["step"] + 1
    if weight_decay != 0:
        grad = grad + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    total = state["sum"] + grad * grad
    return param - clr * (grad / (xp.sqrt(total) + eps)), {"step": step, "sum": total}


class Adagrad(Optimizer):
    """Adagrad (as ``torch.optim.Adagrad``); the update is :func:`adagrad_update`.

    Args:
        params: the parameters (or parameter groups) to optimize.
        lr: learning rate (>= 0).
        lr_decay: learning-rate decay (>= 0): step ``t`` uses ``lr / (1 + (t-1)*lr_decay)``.
        weight_decay: L2 penalty coefficient (>= 0), added to the gradient.
        initial_accumulator_value: starting value of the sum of squares (>= 0).
        eps: added to the denominator after the square root (>= 0).

    As in PyTorch, the state exists from construction on (``step`` 0 and
    ``sum`` filled with ``initial_accumulator_value``).

    Per parameter: ``s = s + g²``, ``θ = θ - lr / (1 + (t - 1) lr_decay) · g / (sqrt(s) + eps)``.

    >>> import xpnet
    >>> w = xpnet.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = xpnet.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.numpy().round(4)                     # first step: lr * g / |g|
    array([ 0.9, -0.9], dtype=float32)

    See also: :func:`adagrad_update`.
    """

    _eager_state = True

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    def _check_hyperparameters(self, group: dict) -> dict:
        return {k: check_real("Adagrad", k, group[k])
                for k in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")}

    def _state_keys(self, hp: dict) -> Tuple[str, ...]:
        return ("sum",)

    def _init_state(self, param: Any, hp: dict, xp: Any) -> dict:
        return adagrad_init(param, initial_accumulator_value=hp["initial_accumulator_value"], xp=xp)

    def _update(self, param, grad, state, hp, xp):
        return adagrad_update(param, grad, state, lr=hp["lr"], lr_decay=hp["lr_decay"],
                              weight_decay=hp["weight_decay"], eps=hp["eps"], xp=xp)


__all__ = ["Adagrad", "adagrad_init", "adagrad_update"]
