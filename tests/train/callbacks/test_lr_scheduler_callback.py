"""LRSchedulerCallback: the same as fit(scheduler=...), stepped once per epoch."""
import pytest

from xpnet import nn, optim
from xpnet.train import LRSchedulerCallback, fit
from training import blob_loader


def _lrs(use_callback):
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    kwargs = dict(callbacks=[LRSchedulerCallback(sched)]) if use_callback else dict(scheduler=sched)
    history = fit(model, nn.CrossEntropyLoss(), opt, blob_loader(n=16), epochs=3,
                  progress=False, **kwargs)
    return history["lr"], sched.last_epoch


def test_callback_equals_scheduler_argument():
    assert _lrs(True) == _lrs(False) == (pytest.approx([0.1, 0.05, 0.025]), 3)


def test_needs_a_scheduler():
    with pytest.raises(TypeError, match="step"):
        LRSchedulerCallback(object())
