"""Learning-rate schedulers: StepLR, ExponentialLR, CosineAnnealingLR (as ``torch.optim.lr_scheduler``).

A scheduler rewrites ``group["lr"]`` of every parameter group of an
optimizer.  Call ``optimizer.step()`` then ``scheduler.step()`` once per epoch
(or per iteration, if that is your unit)::

    opt = xpnet.optim.SGD(model.parameters(), lr=0.1)
    sched = xpnet.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)      # calls opt.step()
        sched.step()

Semantics are PyTorch's: construction records ``group["initial_lr"]``
(the ``base_lrs``) and performs an initial step that moves ``last_epoch``
from -1 to 0 without changing the learning rates; every later ``step()``
increments ``last_epoch`` and updates each group's lr *from its current
value* (PyTorch's "chainable" recursive forms, so two schedulers on one
optimizer compose, and a hand-edited ``group["lr"]`` is respected).  Starting
from ``base_lr`` and without outside edits, the recursive forms equal the
closed forms given in each class.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List

from ..host import check_keys
from ._validation import _scalar, check_int, check_real
from .optimizer import Optimizer


class LRScheduler:
    """Base class of the schedulers: sets each parameter group's ``lr`` once per :meth:`step`.

    Subclasses pass their hyper-parameters to this ``__init__`` by keyword and
    define :meth:`get_lr`, ``_check_hyperparameters`` and ``_hyperparameters``
    (their names, saved in ``state_dict``).

    Args:
        optimizer: the :class:`~xpnet.optim.Optimizer` whose ``lr`` to schedule.
        last_epoch: index of the last epoch done; -1 starts fresh.  Resuming
            with ``last_epoch >= 0`` needs ``"initial_lr"`` in every group
            (present in optimizer state dicts saved while a scheduler ran).

    >>> import xpnet
    >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=0.1)
    >>> sched = xpnet.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     opt.step()                         # (after the epoch's training steps)
    ...     sched.step()
    ...     lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.1, 0.05, 0.05, 0.025, 0.025]
    """

    _hyperparameters: tuple = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1, **hyperparameters) -> None:
        name = type(self).__name__
        self._set_hyperparameters(self._check_hyperparameters(hyperparameters))
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: optimizer must be an xpnet.optim.Optimizer; "
                            f"got {type(optimizer).__name__}")
        last_epoch = check_int(name, "last_epoch", last_epoch, low=-1)
        if last_epoch >= 0:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{name}(last_epoch={last_epoch}): param_groups[{i}] has no "
                        "'initial_lr'; resume by loading the optimizer's state dict saved "
                        "with the scheduler running, or start with last_epoch=-1")
        else:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self.optimizer = optimizer
        self.base_lrs: List[float] = [float(g["initial_lr"]) for g in optimizer.param_groups]
        # PyTorch's initial step: epoch -1 -> 0, the learning rates unchanged
        self.last_epoch = last_epoch + 1
        self._step_count = 1
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def get_lr(self) -> List[float]:
        """The learning rates for epoch ``self.last_epoch`` (already incremented), one per group.

        Called by :meth:`step`; a new schedule defines it (from the current
        ``group["lr"]``, to compose with other schedulers).

        >>> import xpnet
        >>> class Halve(xpnet.optim.lr_scheduler.LRScheduler):
        ...     def get_lr(self):
        ...         return [g["lr"] / 2 for g in self.optimizer.param_groups]
        >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = Halve(opt)
        >>> sched.step(); sched.get_last_lr()
        [0.05]
        """
        raise NotImplementedError

    def get_last_lr(self) -> List[float]:
        """The learning rates set by the last :meth:`step`, one per group.

        >>> import xpnet
        >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=0.1)
        >>> xpnet.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9).get_last_lr()
        [0.1]
        """
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch: ``last_epoch += 1`` and set every group's lr.

        >>> import xpnet
        >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=1.0)
        >>> sched = xpnet.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> sched.step(); sched.step()
        >>> sched.last_epoch, opt.param_groups[0]["lr"]
        (2, 0.25)
        """
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> Dict[str, Any]:
        """The scheduler's state (Python numbers and lists; the optimizer is not included).

        >>> import xpnet
        >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=0.1)
        >>> xpnet.optim.lr_scheduler.StepLR(opt, step_size=3).state_dict()
        {'base_lrs': [0.1], 'last_epoch': 0, '_step_count': 1, '_last_lr': [0.1], 'step_size': 3, 'gamma': 0.1}
        """
        out = {"base_lrs": list(self.base_lrs), "last_epoch": self.last_epoch,
               "_step_count": self._step_count, "_last_lr": list(self._last_lr)}
        out.update({k: getattr(self, k) for k in self._hyperparameters})
        return out

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; everything is validated before anything changes.

        >>> import xpnet
        >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = xpnet.optim.lr_scheduler.StepLR(opt, step_size=3)
        >>> sched.step()
        >>> resumed = xpnet.optim.lr_scheduler.StepLR(opt, step_size=3)
        >>> resumed.load_state_dict(sched.state_dict())
        >>> resumed.last_epoch
        1
        """
        name = f"{type(self).__name__}.load_state_dict"
        expected = {"base_lrs", "last_epoch", "_step_count", "_last_lr", *self._hyperparameters}
        check_keys(f"{name}: state_dict", state_dict, expected)
        n = len(self.optimizer.param_groups)
        lists = {}
        for key in ("base_lrs", "_last_lr"):
            values = list(_scalar_list(state_dict[key]))
            if len(values) != n:
                raise ValueError(f"{name}: {key} has {len(values)} entries but the optimizer "
                                 f"has {n} parameter groups")
            lists[key] = [check_real(name, f"{key}[{i}]", v) for i, v in enumerate(values)]
        last_epoch = check_int(name, "last_epoch", state_dict["last_epoch"], low=-1)
        step_count = check_int(name, "_step_count", state_dict["_step_count"], low=0)
        hyper = self._check_hyperparameters({k: _scalar(state_dict[k])
                                             for k in self._hyperparameters})
        self.base_lrs, self._last_lr = lists["base_lrs"], lists["_last_lr"]
        self.last_epoch, self._step_count = last_epoch, step_count
        self._set_hyperparameters(hyper)

    def _check_hyperparameters(self, values: Dict[str, Any]) -> Dict[str, Any]:
        """The validated hyper-parameters ``values`` (a dict keyed by ``_hyperparameters``);
        subclasses that have any override this."""
        if values:
            raise NotImplementedError(f"{type(self).__name__} must define _check_hyperparameters")
        return {}

    def _set_hyperparameters(self, values: Dict[str, Any]) -> None:
        for k, v in values.items():
            setattr(self, k, v)


def _scalar_list(values: Any) -> list:
    """A list of Python scalars from a list, tuple or 1-d NumPy array (e.g. a saved state dict)."""
    return [_scalar(v) for v in (values.tolist() if hasattr(values, "tolist") else values)]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Closed form: ``lr(epoch) = base_lr * gamma ** (epoch // step_size)``.

    Args:
        optimizer: the optimizer.
        step_size: period of the decay, in epochs (int >= 1).
        gamma: multiplicative factor (>= 0).
        last_epoch: see :class:`LRScheduler`.

    >>> import xpnet
    >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = xpnet.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
    >>> for _ in range(4):
    ...     sched.step()
    >>> round(opt.param_groups[0]["lr"], 6)               # 1.0 * 0.1 ** (4 // 2)
    0.01
    """

    _hyperparameters = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, last_epoch, step_size=step_size, gamma=gamma)

    def _check_hyperparameters(self, values):
        return {"step_size": check_int("StepLR", "step_size", values["step_size"], low=1),
                "gamma": check_real("StepLR", "gamma", values["gamma"])}

    def get_lr(self) -> List[float]:
        lrs = [g["lr"] for g in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    Closed form: ``lr(epoch) = base_lr * gamma ** epoch``.

    Args:
        optimizer: the optimizer.
        gamma: multiplicative factor (>= 0).
        last_epoch: see :class:`LRScheduler`.

    >>> import xpnet
    >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = xpnet.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> for _ in range(3):
    ...     sched.step()
    >>> sched.get_last_lr()                               # 1.0 * 0.5 ** 3
    [0.125]
    """

    _hyperparameters = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        super().__init__(optimizer, last_epoch, gamma=gamma)

    def _check_hyperparameters(self, values):
        return {"gamma": check_real("ExponentialLR", "gamma", values["gamma"])}

    def get_lr(self) -> List[float]:
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Anneal the learning rate from ``base_lr`` to ``eta_min`` along a half cosine.

    Closed form (SGDR without restarts)::

        lr(epoch) = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    reaching ``eta_min`` at ``epoch == T_max``; past ``T_max`` it rises again
    (period ``2 * T_max``), as in PyTorch.  Implemented with PyTorch's
    recursive form ``lr_e = eta_min + (lr_{e-1} - eta_min) * (1 + cos(pi*e/T)) /
    (1 + cos(pi*(e-1)/T))``, and ``lr_e = lr_{e-1} + (base_lr - eta_min) *
    (1 - cos(pi/T)) / 2`` at the epochs where that ratio is 0/0.

    Args:
        optimizer: the optimizer.
        T_max: half period, in epochs (int >= 1).
        eta_min: minimum learning rate (>= 0).
        last_epoch: see :class:`LRScheduler`.

    >>> import xpnet
    >>> opt = xpnet.optim.SGD([xpnet.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = xpnet.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    >>> lrs = []
    >>> for _ in range(4):
    ...     sched.step()
    ...     lrs.append(round(sched.get_last_lr()[0], 4))
    >>> lrs
    [0.8536, 0.5, 0.1464, 0.0]
    """

    _hyperparameters = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        super().__init__(optimizer, last_epoch, T_max=T_max, eta_min=eta_min)

    def _check_hyperparameters(self, values):
        return {"T_max": check_int("CosineAnnealingLR", "T_max", values["T_max"], low=1),
                "eta_min": check_real("CosineAnnealingLR", "eta_min", values["eta_min"])}

    def get_lr(self) -> List[float]:
        e, t, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if (e - 1 - t) % (2 * t) == 0:
            return [g["lr"] + (base - eta_min) * (1 - math.cos(math.pi / t)) / 2
                    for base, g in zip(self.base_lrs, groups)]
        ratio = (1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
        return [eta_min + (g["lr"] - eta_min) * ratio for g in groups]


__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]
