"""The models of ``xpnet train`` (``--model mlp|cnn``), their activation, dropout and
initialization options, and the reference CNN of the benchmarks.

>>> from xpnet.train.models import build_model
>>> net = build_model("mlp", in_shape=(64,), num_classes=10, activation="tanh", init="xavier")
>>> net[1]
Tanh()
"""
from __future__ import annotations

import math
from typing import Sequence

from .. import nn
from ..nn import init as nn_init

#: ``--activation`` name -> module factory
ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
               "leaky_relu": nn.LeakyReLU}
#: ``--init`` names; "default" keeps each layer's own (PyTorch's) initialization
INITS = ("default", "xavier", "he")
#: the negative slope nn.LeakyReLU uses by default (and He initialization's ``a``)
LEAKY_SLOPE = 0.01


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {name!r}")
    return ACTIVATIONS[name]()


def mlp(in_features: int = 64, hidden: int = 128, num_classes: int = 10,
        dropout: float = 0.1, activation: str = "relu") -> nn.Module:
    """``Linear(in, hidden) - act - Dropout - Linear(hidden, hidden) - act - Linear(hidden, classes)``."""
    return nn.Sequential(
        nn.Linear(in_features, hidden), _activation(activation), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), _activation(activation),
        nn.Linear(hidden, num_classes),
    )


def cnn(in_shape: Sequence[int] = (1, 8, 8), num_classes: int = 10, dropout: float = 0.5,
        activation: str = "relu") -> nn.Module:
    """A small CNN for ``(C, H, W)`` images, by default the 1x8x8 embedded digits.

    ``Conv(C,32,3,p1)-BN-act - Conv(32,64,3,p1)-BN-act-MaxPool(2) - Flatten -
    Linear(64*(H//2)*(W//2),128)-act-Dropout - Linear(128,classes)``
    """
    if len(in_shape) != 3:
        raise ValueError(f"cnn needs images: in_shape must be (C, H, W); got {tuple(in_shape)}")
    c, h, w = in_shape
    if h < 2 or w < 2:
        raise ValueError(f"cnn max-pools by 2, so images must be at least 2x2; got in_shape "
                         f"{tuple(in_shape)} (use the mlp for such inputs)")
    return nn.Sequential(
        nn.Conv2d(c, 32, 3, padding=1), nn.BatchNorm2d(32), _activation(activation),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), _activation(activation),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * (h // 2) * (w // 2), 128), _activation(activation), nn.Dropout(dropout),
        nn.Linear(128, num_classes),
    )


def reference_cnn(num_classes: int = 10) -> nn.Module:
    """The reference CNN of the benchmarks (input 1x28x28): the workload every training-step benchmark times.

    ``Conv2d(1,32,3,p1)-BN-ReLU-MaxPool(2) - Conv2d(32,64,3,p1)-BN-ReLU-MaxPool(2) -
    Flatten - Linear(3136,128)-ReLU-Dropout(0.5) - Linear(128,10)``
    """
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, num_classes),
    )


def initialize(model: nn.Module, scheme: str, activation: str = "relu") -> nn.Module:
    """Re-initialize every ``Linear``/``Conv2d`` of ``model``; returns it.

    * ``"default"``: leave the layers' own initialization (PyTorch's:
      ``kaiming_uniform_(a=sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in))).
    * ``"xavier"``: ``xavier_uniform_(weight)`` (gain 1), bias 0.
    * ``"he"``: ``kaiming_uniform_(weight, nonlinearity=activation)`` with
      PyTorch's gain for it (relu sqrt(2), leaky_relu sqrt(2/(1+0.01^2)),
      tanh 5/3, sigmoid 1), bias 0.

    Layers are visited in ``model.modules()`` order, so with a fixed seed the
    weights are reproducible.
    """
    if scheme not in INITS:
        raise ValueError(f"init must be one of {list(INITS)}; got {scheme!r}")
    if scheme == "default":
        return model
    for layer in model.modules():
        if not isinstance(layer, (nn.Linear, nn.Conv2d)):
            continue
        if scheme == "xavier":
            nn_init.xavier_uniform_(layer.weight)
        else:
            nn_init.kaiming_uniform_(layer.weight, a=LEAKY_SLOPE, nonlinearity=activation)
        if layer.bias is not None:
            nn_init.zeros_(layer.bias)
    return model


#: ``--model`` name -> default dropout
DEFAULT_DROPOUT = {"mlp": 0.1, "cnn": 0.5}


def build_model(name: str, in_shape: Sequence[int], num_classes: int, activation: str = "relu",
                dropout: float = None, init: str = "default") -> nn.Module:
    """``mlp`` (flat features, ``in_shape = (F,)`` or any shape, flattened) or ``cnn``
    (``in_shape = (C, H, W)``), with ``activation``, ``dropout`` (None: the
    model's default, :data:`DEFAULT_DROPOUT`) and ``init`` (:func:`initialize`)."""
    if name not in DEFAULT_DROPOUT:
        raise ValueError(f"model must be one of {sorted(DEFAULT_DROPOUT)}; got {name!r}")
    p = DEFAULT_DROPOUT[name] if dropout is None else dropout
    if name == "mlp":
        model = mlp(math.prod(in_shape), num_classes=num_classes, dropout=p,
                    activation=activation)
    else:
        model = cnn(in_shape, num_classes, dropout=p, activation=activation)
    return initialize(model, init, activation)
