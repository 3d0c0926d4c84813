"""Training loop (``fit`` with callbacks, ``evaluate``/``predict``), metrics, resumable
state, and the models and job of ``xpnet train``."""
from . import callbacks
from .callbacks import (Callback, ClipGradNorm, EarlyStopping, GradientMonitor,
                        LRSchedulerCallback, ModelCheckpoint, NonFiniteError, ProgressBar,
                        TerminateOnNaN)
from .loop import Loop, fit
from .metrics import accuracy
from .state import restore_training_state, training_state
from .trainer import History, evaluate, predict

__all__ = ["fit", "Loop", "evaluate", "predict", "History", "accuracy", "callbacks",
           "Callback", "ProgressBar", "EarlyStopping", "ModelCheckpoint",
           "LRSchedulerCallback", "TerminateOnNaN", "NonFiniteError", "GradientMonitor",
           "ClipGradNorm", "training_state", "restore_training_state"]
