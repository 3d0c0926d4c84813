"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (as ``torch.optim.SGD``)."""
from __future__ import annotations

from typing import Any, Iterable, Tuple

from ._validation import check_bool, check_real
from .optimizer import Optimizer


def sgd_update(param: Any, grad: Any, state: dict, *, lr: float, momentum: float = 0.0,
               dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
               xp: Any) -> Tuple[Any, dict]:
    """One SGD step on plain arrays; returns ``(new_param, new_state)``.

    Exactly PyTorch's rule (``g`` the gradient, ``b`` the momentum buffer)::

        g = grad + weight_decay * param            # L2 penalty folded into g
        if momentum != 0:
            b = g                                  # first step: a copy, no dampening
            b = momentum * b + (1 - dampening) * g # later steps
            g = g + momentum * b   if nesterov else   b
        param = param - lr * g

    PyTorch's convention differs from the textbook ``v = mu*v - lr*g;
    p = p + v`` (Sutskever et al.): ``lr`` multiplies the buffer when it is
    applied, not when it is accumulated.  The two agree for a constant ``lr``
    but not when a scheduler changes it.  Nesterov is PyTorch's reformulation
    ``g + mu*b`` (no look-ahead evaluation of the gradient).

    Args:
        param, grad: arrays of one shape and floating dtype.
        state: ``{}`` before the first step, then ``{"momentum_buffer": b}``
            (only kept when ``momentum != 0``).
        xp: the Array API namespace of the arrays.

    Returns:
        ``(new_param, new_state)``, new arrays; the inputs are not modified.

    >>> import numpy as np
    >>> p, s = sgd_update(np.array([1.0]), np.array([0.5]), {}, lr=0.1, xp=np)
    >>> p
    array([0.95])
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    new_state = {}
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = xp.asarray(grad, copy=True)
        else:
            buf = momentum * buf + (1 - dampening) * grad
        new_state["momentum_buffer"] = buf
        grad = grad + momentum * buf if nesterov else buf
    return param - lr * grad, new_state


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (as ``torch.optim.SGD``).

    Args:
        params: the parameters (or parameter groups) to optimize.
        lr: learning rate (>= 0).
        momentum: momentum factor ``mu`` (>= 0).
        dampening: dampening of the gradient in the momentum buffer.
        weight_decay: L2 penalty coefficient (>= 0), added to the gradient.
        nesterov: Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.

    The update is :func:`sgd_update`.

    >>> import xpnet
    >>> w = xpnet.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.numpy()
    array([0.8, 1.6], dtype=float32)
    """

    _counts_steps = False

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check_hyperparameters(self, group: dict) -> dict:
        rule = "SGD"
        hp = dict(lr=check_real(rule, "lr", group["lr"]),
                  momentum=check_real(rule, "momentum", group["momentum"]),
                  dampening=check_real(rule, "dampening", group["dampening"], low=-float("inf")),
                  weight_decay=check_real(rule, "weight_decay", group["weight_decay"]),
                  nesterov=check_bool(rule, "nesterov", group["nesterov"]))
        if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True requires momentum > 0 and dampening == 0; got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")
        return hp

    def _state_keys(self, hp: dict) -> Tuple[str, ...]:
        return ("momentum_buffer",) if hp["momentum"] != 0 else ()

    def _init_state(self, param: Any, hp: dict, xp: Any) -> dict:
        return {}  # the buffer is a copy of the first gradient, made by the rule

    def _update(self, param, grad, state, hp, xp):
        return sgd_update(param, grad, state, xp=xp, **hp)


__all__ = ["SGD", "sgd_update"]
