"""Optimizers and learning-rate schedulers, with PyTorch's update rules.

Each optimizer class (``torch.optim`` interface) wraps a pure update rule over
plain arrays, exported too (``sgd_update``, ``adam_update``, ...), which runs
on any Array API namespace.

>>> import xpnet
>>> w = xpnet.tensor([1.0, -2.0], requires_grad=True)
>>> opt = xpnet.optim.Adam([w], lr=0.1)
>>> (w * w).sum().backward()
>>> opt.step()
"""
from . import lr_scheduler
from .adagrad import Adagrad, adagrad_init, adagrad_update
from .adam import Adam, AdamW, adam_init, adam_update
from .optimizer import Optimizer
from .rmsprop import RMSprop, rmsprop_init, rmsprop_update
from .sgd import SGD, sgd_update

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
    "sgd_update", "adagrad_init", "adagrad_update", "rmsprop_init", "rmsprop_update",
    "adam_init", "adam_update", "lr_scheduler",
]
