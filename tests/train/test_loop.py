"""fit: history, hook order, resumption arguments, host transfers per step, the NaN guard."""
import numpy
import pytest

import xpnet
from xpnet import nn, optim
from xpnet.backend.numpy_backend import NumpyBackend
from xpnet.train import (Callback, GradientMonitor, NonFiniteError, TerminateOnNaN, fit)
from xpnet.train.callbacks.nan_guard import nonfinite_gradients
from training import Recorder, blob_loader, weights

EXPLODING = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                                       "ignore:invalid value encountered:RuntimeWarning",
                                       "ignore:divide by zero encountered:RuntimeWarning")


def _fit(model, loader, **kwargs):
    opt = kwargs.pop("optimizer", None) or optim.SGD(model.parameters(), lr=0.1)
    return fit(model, nn.CrossEntropyLoss(), opt, loader, progress=False, **kwargs)


def test_fit_learns_and_records_history(backend_name):
    loader = blob_loader()
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=4, val_loader=loader,
                  scheduler=sched, progress=False)
    assert [e["epoch"] for e in history.epochs] == [1, 2, 3, 4]
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])
    assert history["loss"][-1] < history["loss"][0]
    assert history.last["val_accuracy"] == 1.0
    assert set(history.last) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy",
                                 "lr", "seconds"}


def test_hooks_run_in_loop_order_with_epoch_and_step():
    rec = Recorder()
    _fit(nn.Linear(2, 2), blob_loader(n=20, batch_size=8), epochs=2, callbacks=[rec])
    expected = [("train_begin", 0, 0, 0)]
    step = 0
    for epoch in (1, 2):
        expected.append(("epoch_begin", epoch, step, 0))
        for b in (1, 2, 3):  # 20 samples in batches of 8: 8, 8, 4
            step += 1
            expected += [("after_backward", epoch, step, b), ("batch_end", epoch, step, b)]
        expected.append(("epoch_end", epoch, step, 3))
    expected.append(("train_end", 2, 6, 3))
    assert rec.calls == expected


def test_callbacks_run_by_order_then_as_given():
    seen = []

    def cb(name, order):
        return type(name, (Callback,), {"order": order,
                                        "on_epoch_end": lambda self, loop: seen.append(name)})()
    _fit(nn.Linear(2, 2), blob_loader(n=8, batch_size=8),
         callbacks=[cb("late", 10), cb("a", 0), cb("early", -5), cb("b", 0)])
    assert seen == ["early", "a", "b", "late"]


def test_stop_ends_after_the_current_epoch():
    class StopAt2(Callback):
        def on_epoch_end(self, loop):
            loop.stop = loop.epoch == 2
    history = _fit(nn.Linear(2, 2), blob_loader(n=16), epochs=5, callbacks=[StopAt2()])
    assert [e["epoch"] for e in history.epochs] == [1, 2]


def test_loader_order_is_set_per_epoch():
    """Epoch e draws the loader's order e - 1, whatever the loader did before."""
    loader = blob_loader(n=24, batch_size=24)
    list(loader)  # a pass outside fit must not shift the epochs' orders
    seen = []

    class Order(Callback):
        def on_epoch_begin(self, loop):
            seen.append(loop.train_loader.epoch)
    _fit(nn.Linear(2, 2), loader, epochs=3, callbacks=[Order()])
    assert seen == [0, 1, 2]


def _count_transfers(monkeypatch):
    calls = []
    original = NumpyBackend.to_numpy

    def counting(self, a):
        calls.append(getattr(a, "shape", None))
        return original(self, a)
    monkeypatch.setattr(NumpyBackend, "to_numpy", counting)
    return calls


@pytest.mark.parametrize("monitor", [False, True])
def test_one_host_transfer_per_step(monkeypatch, monitor):
    """Per step: one transfer (loss + finiteness flag); per epoch: one for the metric
    means, plus one for the GradientMonitor; nothing else."""
    loader = blob_loader(n=40, batch_size=10)  # 4 steps per epoch
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    calls = _count_transfers(monkeypatch)
    _fit(model, loader, epochs=3, optimizer=opt,
         callbacks=[GradientMonitor()] if monitor else [])
    # 12 steps' (loss, flag) pairs, 3 epochs' (loss, accuracy) means, 3 monitor fetches
    assert len(calls) == 3 * 4 + 3 + (3 if monitor else 0)
    assert calls[:5] == [(2,)] * 4 + [(2,)] and (calls[-1] == (3, 2, 4)) == monitor


def test_evaluate_fetches_once_per_pass(monkeypatch):
    from xpnet.train import evaluate
    loader = blob_loader(n=40, batch_size=10)
    calls = _count_transfers(monkeypatch)
    evaluate(nn.Linear(2, 2), loader, nn.CrossEntropyLoss())
    assert len(calls) == 1


@pytest.mark.parametrize("kwargs,error,fragment", [
    (dict(epochs=0), ValueError, "epochs"),
    (dict(metrics=("f1",)), ValueError, "metrics"),
    (dict(epochs=2, initial_epoch=3), ValueError, "initial_epoch=3 is past epochs=2"),
    (dict(epochs=3, initial_epoch=-1), ValueError, "initial_epoch"),
    (dict(epochs=3, initial_epoch=1, history=xpnet.train.History([{"epoch": 1}, {"epoch": 2}])),
     ValueError, "history ends at epoch 2 but initial_epoch=1"),
    (dict(history=[{"epoch": 1}]), TypeError, "History"),
    (dict(callbacks=[print]), TypeError, r"callbacks\[0\]"),
])
def test_fit_bad_arguments(kwargs, error, fragment):
    model = nn.Linear(2, 2)
    before = weights(model)
    with pytest.raises(error, match=fragment):
        _fit(model, blob_loader(n=8), **{"epochs": 1, **kwargs})
    for k, v in weights(model).items():
        numpy.testing.assert_array_equal(v, before[k])


def test_initial_epoch_continues_numbering_and_history():
    loader = blob_loader(n=16)
    model = nn.Linear(2, 2)
    first = _fit(model, loader, epochs=2)
    rec = Recorder()
    history = _fit(model, loader, epochs=4, initial_epoch=2, history=first, callbacks=[rec])
    assert history is first and [e["epoch"] for e in history.epochs] == [1, 2, 3, 4]
    assert rec.calls[0] == ("train_begin", 2, 2, 0)  # step counts the earlier epochs' steps
    assert _fit(model, loader, epochs=4, initial_epoch=4, history=history).epochs == history.epochs


class _Steps(Callback):
    """Host copies of the weights after every completed step."""

    def __init__(self):
        self.after = []

    def on_batch_end(self, loop):
        self.after.append(weights(loop.model))


@EXPLODING
def test_nan_guard_stops_before_the_step_and_names_the_parameter():
    """A deep ReLU net with a far too large lr: the weights grow until the forward
    pass overflows (the usual way training blows up)."""
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                          nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    steps = _Steps()
    opt = optim.SGD(model.parameters(), lr=5.0)
    with pytest.raises(NonFiniteError) as info:
        _fit(model, blob_loader(n=32, batch_size=8, scale=100.0), epochs=5, optimizer=opt,
             callbacks=[steps])
    err = info.value
    bad = nonfinite_gradients(model)  # the gradients of the failed step are still in p.grad
    assert bad and err.parameter == bad[0] and f"{bad[0]!r}" in str(err)
    assert err.step == len(steps.after) + 1 and err.epoch == (err.step - 1) // 4 + 1
    message = str(err)
    for fragment in (f"epoch {err.epoch}", f"step {err.step}", "lower the learning rate",
                     "clip", "scale the inputs", f"weights are those after step {err.step - 1}"):
        assert fragment in message
    assert isinstance(err, FloatingPointError)
    assert len(steps.after) >= 2
    for name, value in weights(model).items():  # the last finite step's weights, untouched
        assert numpy.isfinite(value).all()
        numpy.testing.assert_array_equal(value, steps.after[-1][name])


class _SqrtAtZero(nn.Module):
    """``a * x + sqrt(b) + sqrt(c)`` with b = c = 0: finite loss, infinite d/db and d/dc."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(xpnet.ones(2))
        self.b = nn.Parameter(xpnet.zeros(2))
        self.c = nn.Parameter(xpnet.zeros(2))

    def forward(self, x):
        return x * self.a + self.b.sqrt() + self.c.sqrt()


@EXPLODING
def test_nan_guard_names_weights_an_update_overflowed():
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=1e30)  # finite gradients, update overflows float32
    with pytest.raises(NonFiniteError, match="'weight' itself is already non-finite"):
        _fit(model, blob_loader(n=16, batch_size=8, scale=1e10), epochs=2, optimizer=opt)


@EXPLODING
def test_nan_guard_catches_a_gradient_with_a_finite_loss():
    model = _SqrtAtZero()
    with pytest.raises(NonFiniteError, match="non-finite gradient at epoch 1, step 1") as info:
        _fit(model, blob_loader(n=8, batch_size=8), epochs=1)
    assert info.value.parameter == "b" and "2 of 3 parameters" in str(info.value)
    assert numpy.isfinite(info.value.loss)
    numpy.testing.assert_array_equal(model.b.numpy(), [0.0, 0.0])


@EXPLODING
def test_nan_guard_off_trains_through():
    history = _fit(_SqrtAtZero(), blob_loader(n=8, batch_size=8), epochs=2, nan_guard=False)
    assert len(history.epochs) == 2 and not numpy.isfinite(history.last["loss"])


@EXPLODING
def test_explicit_terminate_on_nan_is_not_duplicated():
    guard = TerminateOnNaN()
    rec = Recorder()
    with pytest.raises(NonFiniteError):
        _fit(_SqrtAtZero(), blob_loader(n=8, batch_size=8), callbacks=[rec, guard])
    assert rec.calls[-1][0] == "train_end"  # on_train_end runs when fit raises
