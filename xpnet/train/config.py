"""``TrainConfig``: every option of ``xpnet train``, validated, with defaults resolved.

One dataclass is the command line, the argument of :func:`xpnet.train.job.run`
and the ``extra["config"]`` of the checkpoints ``--save`` writes, so a
``--resume`` can compare the two field by field.

Defaults that depend on other options are resolved when the config is made,
so the stored config is explicit: ``epochs`` (15 for cnn, 40 for mlp),
``dropout`` (0.1 for mlp, 0.5 for cnn), ``momentum`` (0.9 for momentum and
nesterov, 0 for rmsprop; not allowed for the others), ``weight_decay``
(0.01 for adamw, as PyTorch, else 0).

>>> TrainConfig(model="mlp", optimizer="nesterov").momentum
0.9
>>> TrainConfig(model="mlp", batch_size="fill")
Traceback (most recent call last):
    ...
ValueError: batch_size must be an int >= 1 or 'full'; got 'fill'
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Union

from .models import ACTIVATIONS, DEFAULT_DROPOUT, INITS

#: optimizer name -> its default momentum (None: the optimizer has no momentum)
MOMENTUM_DEFAULTS = {"sgd": None, "momentum": 0.9, "nesterov": 0.9, "adagrad": None,
                     "rmsprop": 0.0, "adam": None, "adamw": None}
SCALES = ("standard", "minmax", "none")
DEFAULT_EPOCHS = {"cnn": 15, "mlp": 40}
#: fields a resumed run may change: the number of the last epoch, and where it runs
#: (another backend continues the run; it is then not bit-identical to an uninterrupted one)
RESUMABLE_CHANGES = ("epochs", "backend")


def _number(name: str, value: Any, low: float, low_ok: bool = True,
            high: float = math.inf) -> float:
    ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
          and (value >= low if low_ok else value > low) and value < high)
    if not ok:
        rule = f"{'>=' if low_ok else '>'} {low}" + (f" and < {high}" if high < math.inf else "")
        raise ValueError(f"{name} must be a finite number {rule}; got {value!r}")
    return float(value)


def _int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}")
    return value


def _choice(name: str, value: Any, choices) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")
    return value


@dataclass
class TrainConfig:
    """The options of ``xpnet train`` (see ``xpnet train --help`` for each)."""
    model: str = "cnn"
    data: str = "digits"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: Optional[float] = None
    weight_decay: Optional[float] = None
    dropout: Optional[float] = None
    batch_size: Union[int, str] = 64
    scale: str = "standard"
    init: str = "default"
    activation: str = "relu"
    clip_grad_norm: Optional[float] = None
    epochs: Optional[int] = None
    seed: int = 0
    backend: str = "numpy"
    test_size: float = 0.25

    def __post_init__(self):
        _choice("model", self.model, sorted(DEFAULT_EPOCHS))
        if not isinstance(self.data, str) or not self.data:
            raise ValueError(f"data must be 'digits' or a path; got {self.data!r}")
        _choice("optimizer", self.optimizer, list(MOMENTUM_DEFAULTS))
        self.lr = _number("lr", self.lr, 0.0)
        default_m = MOMENTUM_DEFAULTS[self.optimizer]
        if default_m is None and self.momentum is not None:
            users = [k for k, v in MOMENTUM_DEFAULTS.items() if v is not None]
            raise ValueError(f"momentum applies to the optimizers {', '.join(users)}; got "
                             f"momentum={self.momentum!r} with optimizer {self.optimizer!r}")
        if default_m is not None:
            self.momentum = _number("momentum", default_m if self.momentum is None
                                    else self.momentum, 0.0, high=1.0)
            if self.optimizer == "nesterov" and self.momentum == 0:
                raise ValueError("momentum must be > 0 for optimizer 'nesterov'; got 0")
        self.weight_decay = _number("weight_decay", (0.01 if self.optimizer == "adamw" else 0.0)
                                    if self.weight_decay is None else self.weight_decay, 0.0)
        self.dropout = _number("dropout", DEFAULT_DROPOUT[self.model] if self.dropout is None
                               else self.dropout, 0.0, high=1.0)
        if self.batch_size != "full":
            if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) \
                    or self.batch_size < 1:
                raise ValueError(f"batch_size must be an int >= 1 or 'full'; "
                                 f"got {self.batch_size!r}")
        _choice("scale", self.scale, SCALES)
        _choice("init", self.init, INITS)
        _choice("activation", self.activation, list(ACTIVATIONS))
        if self.clip_grad_norm is not None:
            self.clip_grad_norm = _number("clip_grad_norm", self.clip_grad_norm, 0.0, low_ok=False)
        self.epochs = _int("epochs", DEFAULT_EPOCHS[self.model] if self.epochs is None
                           else self.epochs, 1)
        _int("seed", self.seed, 0)
        if not isinstance(self.backend, str):
            raise ValueError(f"backend must be a backend name; got {self.backend!r}")
        self.test_size = _number("test_size", self.test_size, 0.0, low_ok=False, high=1.0)

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Any, where: str = "config") -> "TrainConfig":
        """A config from :meth:`to_dict`; ``ValueError`` naming ``where`` if it is not one."""
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(values, dict) or set(values) != names:
            got = sorted(values) if isinstance(values, dict) else type(values).__name__
            raise ValueError(f"{where} is not an xpnet train config (expected the keys "
                             f"{sorted(names)}; got {got})")
        return cls(**values)

    def differences(self, other: "TrainConfig") -> List[str]:
        """The fields that differ from ``other`` and change the result (all but
        :data:`RESUMABLE_CHANGES`), as ``"name: ours vs other's"``."""
        return [f"{f.name}: {getattr(self, f.name)!r} vs {getattr(other, f.name)!r}"
                for f in dataclasses.fields(self) if f.name not in RESUMABLE_CHANGES
                and getattr(self, f.name) != getattr(other, f.name)]
