"""The models of the main job (``xpnet train --model mlp|cnn``) and the reference CNN."""
from __future__ import annotations

from .. import nn


def mlp(in_features: int = 64, hidden: int = 128, num_classes: int = 10,
        dropout: float = 0.1) -> nn.Module:
    """``Linear(in, hidden) - ReLU - Dropout - Linear(hidden, hidden) - ReLU - Linear(hidden, classes)``."""
    return nn.Sequential(
        nn.Linear(in_features, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, num_classes),
    )


def digits_cnn(num_classes: int = 10) -> nn.Module:
    """A small CNN for 1x8x8 images (the embedded digits).

    ``Conv(1,32,3,p1)-BN-ReLU - Conv(32,64,3,p1)-BN-ReLU-MaxPool(2) - Flatten -
    Linear(64*4*4,128)-ReLU-Dropout(0.5) - Linear(128,classes)``
    """
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 4 * 4, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, num_classes),
    )


def reference_cnn(num_classes: int = 10) -> nn.Module:
    """The reference CNN of the benchmarks (input 1x28x28), see shared REFERENCE.md.

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


MODELS = {"mlp": mlp, "cnn": digits_cnn}
