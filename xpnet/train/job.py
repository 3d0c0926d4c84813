"""The main job: train a classifier on the embedded 8x8 digits and report test accuracy.

Steps, each one a library call a user can copy:
1. ``load_digits`` (1797 images, no download) and a stratified ``train_test_split``;
2. feature scaling fitted on the training data only (``StandardScaler``);
3. a ``DataLoader`` per split; the model (``mlp`` or ``cnn``), cross entropy and the optimizer;
4. ``fit`` with per-epoch validation on the test split, then ``evaluate``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from .. import nn, optim
from ..backend import use_backend
from ..data import DataLoader, StandardScaler, TensorDataset, load_digits, train_test_split
from ..random import manual_seed
from .models import MODELS
from .trainer import History, evaluate, fit

OPTIMIZERS = {
    "sgd": lambda params, lr: optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "adam": lambda params, lr: optim.Adam(params, lr=lr),
    "adamw": lambda params, lr: optim.AdamW(params, lr=lr),
    "rmsprop": lambda params, lr: optim.RMSprop(params, lr=lr),
    "adagrad": lambda params, lr: optim.Adagrad(params, lr=lr),
}


@dataclass
class JobResult:
    test_accuracy: float
    test_loss: float
    history: History
    seconds: float


def run(model: str = "cnn", backend: str = "numpy", epochs: int = 20, batch_size: int = 64,
        lr: float = 1e-3, optimizer: str = "adam", seed: int = 0, progress: bool = True,
        test_size: float = 0.25) -> JobResult:
    """Train ``model`` on the digits and return its test accuracy (see the module docstring)."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}; got {model!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(OPTIMIZERS)}; got {optimizer!r}")
    start = time.perf_counter()
    with use_backend(backend):
        manual_seed(seed)
        x, y = load_digits(return_images=model == "cnn")  # (N, 64), or images (N, 1, 8, 8)
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=test_size, stratify=y, seed=seed)
        scaler = StandardScaler().fit(x_train)  # one mean and scale per pixel either way
        train = TensorDataset(scaler.transform(x_train), y_train)
        test = TensorDataset(scaler.transform(x_test), y_test)
        train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, seed=seed)
        test_loader = DataLoader(test, batch_size=512)
        net = MODELS[model]()
        loss_fn = nn.CrossEntropyLoss()
        opt = OPTIMIZERS[optimizer](net.parameters(), lr)
        history = fit(net, loss_fn, opt, train_loader, epochs=epochs, val_loader=test_loader,
                      progress=progress)
        final = evaluate(net, test_loader, loss_fn)
    return JobResult(final["accuracy"], final["loss"], history, time.perf_counter() - start)
