"""RMSprop, plain or centered, with optional momentum (as ``torch.optim.RMSprop``)."""
from __future__ import annotations

from typing import Any, Iterable, Tuple

from ._validation import check_bool, check_real
from .optimizer import Optimizer


def rmsprop_init(param: Any, *, momentum: float = 0.0, centered: bool = False, xp: Any) -> dict:
    """The state before the first step: ``step`` 0 and zero ``square_avg``.

    Plus a zero ``momentum_buffer`` if ``momentum > 0`` and ``grad_avg`` if
    ``centered``; arrays shaped like ``param``.

    >>> import numpy as np
    >>> sorted(rmsprop_init(np.zeros(2), momentum=0.9, xp=np))
    ['momentum_buffer', 'square_avg', 'step']
    """
    state = {"step": 0, "square_avg": xp.zeros_like(param)}
    if momentum > 0:
        state["momentum_buffer"] = xp.zeros_like(param)
    if centered:
        state["grad_avg"] = xp.zeros_like(param)
    return state


def rmsprop_update(param: Any, grad: Any, state: dict, *, lr: float, alpha: float = 0.99,
                   eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                   centered: bool = False, xp: Any) -> Tuple[Any, dict]:
    """One RMSprop step on plain arrays; returns ``(new_param, new_state)``.

    Exactly PyTorch's rule::

        g  = grad + weight_decay * param
        v  = alpha * v + (1 - alpha) * g * g          # state "square_avg"
        if centered:
            m = alpha * m + (1 - alpha) * g           # state "grad_avg"
            d = sqrt(v - m * m) + eps
        else:
            d = sqrt(v) + eps                         # eps OUTSIDE the sqrt
        if momentum > 0:
            b = momentum * b + g / d                  # state "momentum_buffer"
            param = param - lr * b
        else:
            param = param - lr * g / d

    Hinton's lecture notes and TensorFlow put ``eps`` inside the square root
    (``g / sqrt(v + eps)``); PyTorch, and this function, add it after.  In
    TensorFlow the momentum buffer also holds ``lr * g / d``; here ``lr``
    multiplies the buffer when it is applied.

    Args:
        param, grad: arrays of one shape and floating dtype.
        state: see :func:`rmsprop_init` (its keys must match ``momentum``/``centered``).
        xp: the Array API namespace of the arrays.

    >>> import numpy as np
    >>> s = rmsprop_init(np.array([1.0]), xp=np)
    >>> p, s = rmsprop_update(np.array([1.0]), np.array([2.0]), s, lr=0.01, alpha=0.75, xp=np)
    >>> np.round(p, 6), s["square_avg"]        # v = 0.25 * 4, step lr * 2 / 1
    (array([0.98]), array([1.]))
    """
    if weight_decay != 0:
        grad = grad + weight_decay * param
    new_state = {"step": state["step"] + 1}
    square_avg = alpha * state["square_avg"] + (1 - alpha) * (grad * grad)
    new_state["square_avg"] = square_avg
    if centered:
        grad_avg = alpha * state["grad_avg"] + (1 - alpha) * grad
        new_state["grad_avg"] = grad_avg
        denom = xp.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        denom = xp.sqrt(square_avg) + eps
    if momentum > 0:
        buf = momentum * state["momentum_buffer"] + grad / denom
        new_state["momentum_buffer"] = buf
        return param - lr * buf, new_state
    return param - lr * (grad / denom), new_state


class RMSprop(Optimizer):
    """RMSprop (as ``torch.optim.RMSprop``); the update is :func:`rmsprop_update`.

    Args:
        params: the parameters (or parameter groups) to optimize.
        lr: learning rate (>= 0).
        alpha: smoothing constant of the squared-gradient average, in [0, 1].
        eps: added to the denominator after the square root (>= 0).
        weight_decay: L2 penalty coefficient (>= 0), added to the gradient.
        momentum: momentum factor (>= 0).
        centered: divide by an estimate of the gradient's variance instead of
            its second moment.

    Per parameter: ``v = α v + (1 - α) g²``, ``θ = θ - lr · g / (sqrt(v) + eps)``
    (with momentum and centering as in :func:`rmsprop_update`).

    >>> import xpnet
    >>> w = xpnet.tensor([1.0], requires_grad=True)
    >>> opt = xpnet.optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.numpy().round(4)                     # 1 - 0.01 * 2 / sqrt(0.01 * 4)
    array([0.9], dtype=float32)
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _check_hyperparameters(self, group: dict) -> dict:
        rule = "RMSprop"
        hp = {k: check_real(rule, k, group[k]) for k in ("lr", "eps", "weight_decay", "momentum")}
        hp["alpha"] = check_real(rule, "alpha", group["alpha"], high=1.0, high_open=False)
        hp["centered"] = check_bool(rule, "centered", group["centered"])
        return hp

    def _state_keys(self, hp: dict) -> Tuple[str, ...]:
        return (("square_avg",) + (("momentum_buffer",) if hp["momentum"] > 0 else ())
                + (("grad_avg",) if hp["centered"] else ()))

    def _init_state(self, param: Any, hp: dict, xp: Any) -> dict:
        return rmsprop_init(param, momentum=hp["momentum"], centered=hp["centered"], xp=xp)

    def _update(self, param, grad, state, hp, xp):
        return rmsprop_update(param, grad, state, xp=xp, **hp)


__all__ = ["RMSprop", "rmsprop_init", "rmsprop_update"]
