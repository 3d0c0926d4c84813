"""Adam and AdamW (as ``torch.optim.Adam`` / ``torch.optim.AdamW``), optionally AMSGrad."""
from __future__ import annotations

from typing import Any, Iterable, Tuple

from ._validation import _scalar, check_bool, check_real
from .optimizer import Optimizer


def adam_init(param: Any, *, amsgrad: bool = False, xp: Any) -> dict:
    """The state before the first step: ``step`` 0, zero ``exp_avg`` and ``exp_avg_sq``.

    With ``amsgrad`` also a zero ``max_exp_avg_sq``.  The arrays have the
    shape and dtype of ``param`` and live in namespace ``xp``.

    >>> import numpy as np
    >>> sorted(adam_init(np.zeros(3), amsgrad=True, xp=np))
    ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']
    """
    state = {"step": 0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}
    if amsgrad:
        state["max_exp_avg_sq"] = xp.zeros_like(param)
    return state


def adam_update(param: Any, grad: Any, state: dict, *, lr: float,
                betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                weight_decay: float = 0.0, amsgrad: bool = False,
                decoupled_weight_decay: bool = False, xp: Any) -> Tuple[Any, dict]:
    """One Adam (or AdamW) step on plain arrays; returns ``(new_param, new_state)``.

    Exactly PyTorch's rule, with ``t`` the step number after incrementing::

        t = state["step"] + 1
        if decoupled_weight_decay:  param = param * (1 - lr * weight_decay)   # AdamW
        else:                       g = grad + weight_decay * param           # Adam (L2)
        m = beta1 * m + (1 - beta1) * g                  # state "exp_avg"
        v = beta2 * v + (1 - beta2) * g * g              # state "exp_avg_sq"
        if amsgrad: v_hat = maximum(v_hat, v)            # state "max_exp_avg_sq"
        else:       v_hat = v
        denom = sqrt(v_hat) / sqrt(1 - beta2**t) + eps
        param = param - (lr / (1 - beta1**t)) * m / denom

    This equals the paper's ``m_hat / (sqrt(v_hat) + eps)`` with
    ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)``: ``eps`` is
    added *after* dividing by ``sqrt(1 - beta2**t)`` (unlike the paper's
    "efficient" variant, which uses an ``eps_hat`` on the uncorrected
    moments).  AMSGrad keeps the running maximum of the *uncorrected* ``v``
    and bias-corrects it, as PyTorch does (the AMSGrad paper has no bias
    correction).  AdamW's decay is decoupled from the moments and scaled by
    ``lr`` (PyTorch), not by the schedule multiplier alone (the AdamW paper).

    Args:
        param, grad: arrays of one shape and floating dtype.
        state: see :func:`adam_init`.
        xp: the Array API namespace of the arrays.

    >>> import numpy as np
    >>> s = adam_init(np.array([1.0]), xp=np)
    >>> p, s = adam_update(np.array([1.0]), np.array([3.0]), s, lr=0.1, xp=np)
    >>> np.round(p, 6)       # the first Adam step moves by about lr * sign(g)
    array([0.9])
    """
    beta1, beta2 = betas
    step = state["step"] + 1
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            grad = grad + weight_decay * param
    exp_avg = beta1 * state["exp_avg"] + (1 - beta1) * grad
    exp_avg_sq = beta2 * state["exp_avg_sq"] + (1 - beta2) * (grad * grad)
    new_state = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    second = exp_avg_sq
    if amsgrad:
        second = xp.maximum(state["max_exp_avg_sq"], exp_avg_sq)
        new_state["max_exp_avg_sq"] = second
    step_size = lr / (1 - beta1 ** step)
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    denom = xp.sqrt(second) / bias_correction2_sqrt + eps
    return param - step_size * (exp_avg / denom), new_state


def _check_betas(rule: str, betas: Any) -> Tuple[float, float]:
    betas = _scalar(betas)
    try:
        pair = tuple(betas)
    except TypeError:
        pair = ()
    if len(pair) != 2:
        raise ValueError(f"{rule}: betas must be a pair (beta1, beta2) each in [0, 1); "
                         f"got {betas!r}")
    return (check_real(rule, "betas[0]", pair[0], high=1.0),
            check_real(rule, "betas[1]", pair[1], high=1.0))


class Adam(Optimizer):
    """Adam (as ``torch.optim.Adam``); the update is :func:`adam_update`.

    Per parameter, with ``g`` the gradient (plus ``weight_decay * θ``) and
    ``t`` the step number::

        m = β1 m + (1 - β1) g            v = β2 v + (1 - β2) g²
        θ = θ - lr · (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + eps)

    Warning: ``eps`` is added after the bias-corrected square root, as
    PyTorch and optax; Keras/TensorFlow add an ``epsilon_hat`` to the
    uncorrected root, which differs in the first steps when ``eps`` is large.

    Args:
        params: the parameters (or parameter groups) to optimize.
        lr: learning rate (>= 0).
        betas: decay rates ``(beta1, beta2)`` of the two moment averages, each in [0, 1).
        eps: added to the denominator (>= 0), after the square root and the
            bias correction.
        weight_decay: coefficient (>= 0).  Adam adds ``weight_decay * param``
            to the gradient (L2 penalty); AdamW decays the parameter directly.
        amsgrad: use the running maximum of the second moment (AMSGrad).

    >>> import xpnet
    >>> w = xpnet.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = xpnet.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.numpy().round(4)                     # the first step moves by lr * sign(g)
    array([ 0.9, -1.9], dtype=float32)

    See also: :class:`AdamW`, :func:`adam_update`, :mod:`xpnet.optim.lr_scheduler`.
    """

    _decoupled = False
    _torch_neutral_keys = {**Optimizer._torch_neutral_keys, "decoupled_weight_decay": (False,)}

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))

    def _check_hyperparameters(self, group: dict) -> dict:
        rule = self._name
        return dict(lr=check_real(rule, "lr", group["lr"]),
                    betas=_check_betas(rule, group["betas"]),
                    eps=check_real(rule, "eps", group["eps"]),
                    weight_decay=check_real(rule, "weight_decay", group["weight_decay"]),
                    amsgrad=check_bool(rule, "amsgrad", group["amsgrad"]))

    def _state_keys(self, hp: dict) -> Tuple[str, ...]:
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if hp["amsgrad"] else ())

    def _init_state(self, param: Any, hp: dict, xp: Any) -> dict:
        return adam_init(param, amsgrad=hp["amsgrad"], xp=xp)

    def _update(self, param, grad, state, hp, xp):
        return adam_update(param, grad, state, xp=xp, decoupled_weight_decay=self._decoupled, **hp)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (as ``torch.optim.AdamW``).

    Each step first shrinks the parameter, ``param *= 1 - lr * weight_decay``,
    then applies the Adam update computed from the raw gradient (see
    :func:`adam_update` with ``decoupled_weight_decay=True``).  Same
    arguments as :class:`Adam`, but ``weight_decay`` defaults to ``1e-2``.

    >>> import xpnet
    >>> w = xpnet.tensor([1.0], requires_grad=True)
    >>> opt = xpnet.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> w.grad = xpnet.zeros(1)                # no gradient signal: only the decay acts
    >>> opt.step()
    >>> w.tolist()                             # 1 * (1 - 0.1 * 0.5)
    [0.949999988079071]
    """

    _decoupled = True
    _torch_neutral_keys = {**Optimizer._torch_neutral_keys, "decoupled_weight_decay": (True,)}

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: Tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)


__all__ = ["Adam", "AdamW", "adam_init", "adam_update"]
