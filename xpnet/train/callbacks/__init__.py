"""Callbacks for :func:`xpnet.train.fit`: hooks into the training loop (see :mod:`.base`).

* :class:`Callback` — the base class, every hook optional;
* :class:`ProgressBar` — per-batch tqdm bar with loss and samples/s (quiet when not a terminal);
* :class:`EarlyStopping` — stop when a monitored value stops improving, optionally restore the best weights;
* :class:`ModelCheckpoint` — write the resumable state every epoch and the best one;
* :class:`LRSchedulerCallback` — step a learning-rate scheduler once per epoch;
* :class:`TerminateOnNaN` — the NaN/Inf guard (raises :class:`NonFiniteError` before the bad step);
* :class:`GradientMonitor` — per-layer gradient and weight norms, fetched once per epoch;
* :class:`ClipGradNorm` — clip the joint gradient norm before each step.
"""
from .base import Callback
from .checkpoint import ModelCheckpoint, best_path
from .clip import ClipGradNorm
from .early_stopping import EarlyStopping
from .grad_monitor import GradientMonitor
from .nan_guard import NonFiniteError, TerminateOnNaN
from .progress import ProgressBar
from .scheduler import LRSchedulerCallback

__all__ = ["Callback", "ProgressBar", "EarlyStopping", "ModelCheckpoint", "best_path",
           "LRSchedulerCallback", "TerminateOnNaN", "NonFiniteError", "GradientMonitor",
           "ClipGradNorm"]
