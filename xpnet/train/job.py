"""The job of ``xpnet train``: train a classifier, optionally saving and resuming, report test accuracy.

Steps, each one a library call a user can copy:

1. the data: the embedded 8x8 digits (1797 images, no download) with a
   stratified ``train_test_split``, or the train/test arrays of a file
   (:func:`xpnet.data.load_dataset`: an ``.npz`` or MNIST IDX files);
2. feature scaling fitted on the training data only (``StandardScaler``,
   ``MinMaxScaler`` or none);
3. a ``DataLoader`` per split (the training one shuffled with the seed);
   the model (:func:`xpnet.train.models.build_model`), cross entropy, the optimizer;
4. :func:`xpnet.train.fit` with per-epoch validation on the test split and
   the callbacks the options ask for (gradient clipping, checkpoints), then
   :func:`xpnet.train.evaluate`.

``run(config, save=PATH)`` writes the resumable state to ``PATH`` after every
epoch and the best epoch by test ("validation") accuracy to
``PATH`` with ``.best`` before the suffix (``ckpt.xpt`` -> ``ckpt.best.xpt``);
``run(config, resume=PATH)`` continues such a run: it refuses a checkpoint
whose config differs in anything but ``epochs`` and ``backend``, restores
model, optimizer, scaler, random generator and history, and trains epochs
``k+1 .. config.epochs``.  On the NumPy backend the result is bit-identical
to an uninterrupted run.

``run(config, distributed=True)`` trains data-parallel on every process of
the MPI job (``mpiexec -n R python -m xpnet train --distributed``; one
process without a launcher is a job of one): each rank builds the same
model, :class:`~xpnet.distributed.DistributedDataParallel` averages the
gradients, and the training loader gives rank ``r`` its ``batch_size / R``
share of every global batch, so the global batch stays ``batch_size``.  Only
rank 0 writes checkpoints; every rank can resume from the same one (each rank
then draws its own dropout masks from a generator seeded by the seed, its rank
and the epoch, so a distributed resume is not bit-identical to the
uninterrupted run).  The epoch's training loss and accuracy are rank 0's
share; the test metrics are the whole test set's, the same on every rank.

>>> result = run(TrainConfig(model="mlp", epochs=1), progress=False)
>>> 0.0 <= result.test_accuracy <= 1.0
True
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from .. import nn, optim
from ..backend import use_backend
from ..checkpoint import load
from ..data import (DataLoader, MinMaxScaler, StandardScaler, TensorDataset, load_dataset,
                    load_digits, train_test_split)
from ..random import manual_seed
from .callbacks import ClipGradNorm, GradientMonitor, ModelCheckpoint, NonFiniteError
from .config import TrainConfig
from .loop import fit
from .models import build_model
from .state import check_training_state, restore_training_state
from .trainer import History, evaluate

#: ``--optimizer`` name -> the optimizer, built from the config
OPTIMIZERS = {
    "sgd": lambda p, c: optim.SGD(p, lr=c.lr, weight_decay=c.weight_decay),
    "momentum": lambda p, c: optim.SGD(p, lr=c.lr, momentum=c.momentum,
                                       weight_decay=c.weight_decay),
    "nesterov": lambda p, c: optim.SGD(p, lr=c.lr, momentum=c.momentum, nesterov=True,
                                       weight_decay=c.weight_decay),
    "adagrad": lambda p, c: optim.Adagrad(p, lr=c.lr, weight_decay=c.weight_decay),
    "rmsprop": lambda p, c: optim.RMSprop(p, lr=c.lr, momentum=c.momentum,
                                          weight_decay=c.weight_decay),
    "adam": lambda p, c: optim.Adam(p, lr=c.lr, weight_decay=c.weight_decay),
    "adamw": lambda p, c: optim.AdamW(p, lr=c.lr, weight_decay=c.weight_decay),
}
SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "none": None}


@dataclass
class JobResult:
    test_accuracy: float
    test_loss: float
    history: History
    seconds: float
    #: ``{layer: [mean gradient norm per epoch]}`` with ``monitor_gradients``, else None
    grad_norms: Optional[Dict[str, List[float]]] = None


def load_data(config: TrainConfig):
    """``(x_train, y_train, x_test, y_test)`` as host arrays; images ``(N, C, H, W)``
    (or flat features) and int64 labels."""
    if config.data != "digits":
        return load_dataset(config.data)
    x, y = load_digits(return_images=True)  # (N, 1, 8, 8)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=config.test_size, stratify=y, seed=config.seed)
    return x_train, y_train, x_test, y_test


def model_input(x, model: str):
    """``x`` shaped for ``model``: the mlp takes flat features ``(N, F)``, the cnn
    images ``(N, C, H, W)`` (``(N, H, W)`` gets one channel)."""
    if model == "mlp":
        return x.reshape(x.shape[0], -1)
    if x.ndim == 3:
        return x[:, None]
    if x.ndim != 4:
        raise ValueError(f"--model cnn needs images (N, H, W) or (N, C, H, W); the data has "
                         f"shape {x.shape}: use --model mlp for flat features")
    return x


def _read_checkpoint(path, config: TrainConfig) -> dict:
    """The checkpoint at ``path``, checked against ``config`` (one-line ``ValueError``s)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"--resume {path}: no such file")
    state = load(path)
    extra = state.get("extra") if isinstance(state, dict) else None
    if not isinstance(extra, dict) or "config" not in extra or "scaler" not in extra:
        raise ValueError(f"--resume {path}: not a checkpoint written by xpnet train --save")
    try:  # the keys and epoch of a training state, before they are used below
        check_training_state(state, scheduler=None)  # the CLI uses no scheduler
    except ValueError as e:
        raise ValueError(f"--resume {path}: {e}") from None
    saved = TrainConfig.from_dict(extra["config"], where=f"--resume {path}: its config")
    diffs = config.differences(saved)
    if diffs:
        raise ValueError(f"--resume {path}: the checkpoint was trained with other options "
                         f"({'; '.join(diffs)}, as 'command line vs checkpoint'); resume with "
                         f"the same options (only --epochs and --backend may change)")
    if state["epoch"] > config.epochs:
        raise ValueError(f"--resume {path}: the checkpoint has {state['epoch']} epochs done, "
                         f"more than --epochs {config.epochs}")
    return state


def _shards(config: TrainConfig, distributed: bool, n_train: int):
    """``(rank, world, per-rank batch)``: the data-parallel split of the global batch."""
    rank, world = 0, 1
    if distributed:
        from .. import distributed as dist
        rank, world = dist.setup(config.backend)
    batch = n_train if config.batch_size == "full" else config.batch_size
    if config.batch_size != "full" and batch % world:
        raise ValueError(f"--batch-size {batch} must be divisible by the number of ranks "
                         f"({world}): each rank takes an equal share of every batch")
    return rank, world, -(-batch // world)


def run(config: TrainConfig, save=None, resume=None, progress: bool = True,
        callbacks: Sequence = (), monitor_gradients: bool = False,
        distributed: bool = False) -> JobResult:
    """Train as ``config`` says and return the test accuracy (see the module docstring).

    A run that meets a NaN or infinity raises ``NonFiniteError`` with two more
    attributes: ``history`` (the epochs finished before it) and ``grad_norms``
    (theirs, with ``monitor_gradients``).

    ``callbacks`` are added to ``fit``'s; ``monitor_gradients`` adds a
    :class:`~xpnet.train.callbacks.GradientMonitor` and returns its per-layer
    norms in ``JobResult.grad_norms`` (for ``plot_training``); ``distributed``
    trains data-parallel across the ranks of an MPI job (``save`` is then
    written by rank 0 only).
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"run(config) needs a TrainConfig; got {type(config).__name__}")
    state = _read_checkpoint(resume, config) if resume is not None else None
    start = time.perf_counter()
    with use_backend(config.backend):
        manual_seed(config.seed)
        x_train, y_train, x_test, y_test = load_data(config)
        x_train, x_test = model_input(x_train, config.model), model_input(x_test, config.model)
        scaler = SCALERS[config.scale]() if SCALERS[config.scale] else None
        if scaler is not None:
            if state is not None:  # the statistics the run was trained with
                scaler.load_state_dict(state["extra"]["scaler"])
            else:
                scaler.fit(x_train)
            x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
        rank, world, batch = _shards(config, distributed, len(x_train))
        train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch,
                                  shuffle=True, seed=config.seed, num_replicas=world, rank=rank)
        test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=512)
        num_classes = int(max(y_train.max(), y_test.max())) + 1
        net = build_model(config.model, x_train.shape[1:], num_classes, config.activation,
                          config.dropout, config.init)
        loss_fn = nn.CrossEntropyLoss()
        opt = OPTIMIZERS[config.optimizer](net.parameters(), config)
        extra = {"config": config.to_dict(),
                 "scaler": None if scaler is None else scaler.state_dict()}
        monitor = GradientMonitor() if monitor_gradients else None
        cbs = list(callbacks) + [cb for cb in (
            monitor, ClipGradNorm(config.clip_grad_norm) if config.clip_grad_norm else None,
            ModelCheckpoint(save, extra=extra) if save is not None and rank == 0 else None)
            if cb is not None]
        initial_epoch, history = 0, History()  # fit appends to it in place
        if state is not None:  # after every draw of the setup, as in the original run
            initial_epoch, history, _ = restore_training_state(state, net, opt)
        model = net
        if distributed:
            from ..distributed import DistributedDataParallel
            model = DistributedDataParallel(net)  # rank 0's weights on every rank
            if rank > 0:  # own dropout masks; tuple hashes of ints are the same in every process
                manual_seed(hash((config.seed, rank, initial_epoch)) & (2**63 - 1))
        try:
            fit(model, loss_fn, opt, train_loader, epochs=config.epochs, val_loader=test_loader,
                callbacks=cbs, progress=progress, initial_epoch=initial_epoch, history=history)
        except NonFiniteError as e:  # the epochs before it, e.g. to plot how the run diverged
            e.history, e.grad_norms = history, None if monitor is None else monitor.grad_norms
            raise
        final = evaluate(net, test_loader, loss_fn)
    return JobResult(final["accuracy"], final["loss"], history, time.perf_counter() - start,
                     None if monitor is None else monitor.grad_norms)
