"""ModelCheckpoint: the last state every epoch, the best one beside it; the files resume."""
import numpy
import pytest

import xpnet
from xpnet import nn, optim
from xpnet.train import Callback, ModelCheckpoint, fit
from xpnet.train.callbacks import best_path
from training import blob_loader, weights

ACCURACIES = [0.5, 0.8, 0.7, 0.9, 0.6]


class Script(Callback):
    """Sets ``val_accuracy`` from a script, keeps each epoch's weights, and reads the
    checkpoint back right after ModelCheckpoint wrote it."""
    order = 11

    def __init__(self, path, extra=True):
        self.path, self.weights, self.saved_epochs, self.extra = path, {}, [], extra

    def on_epoch_end(self, loop):
        self.weights[loop.epoch] = weights(loop.model)
        self.saved_epochs.append(xpnet.load(self.path)["epoch"] if self.path.exists() else None)


class SetAccuracy(Callback):
    order = -1

    def on_epoch_end(self, loop):
        loop.record["val_accuracy"] = ACCURACIES[loop.epoch - 1]


def _run(path, **kwargs):
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    script = Script(path)
    ckpt = ModelCheckpoint(path, extra={"note": "x"}, **kwargs)
    fit(model, nn.CrossEntropyLoss(), opt, blob_loader(n=16), epochs=5,
        callbacks=[SetAccuracy(), ckpt, script], progress=False)
    return script, ckpt


def _assert_holds(path, epoch, script):
    state = xpnet.load(path)
    assert state["epoch"] == epoch and len(state["history"]) == epoch
    assert state["extra"] == ({"note": "x"} if script.extra else {})
    for k, v in state["model"].items():
        numpy.testing.assert_array_equal(v.numpy(), script.weights[epoch][k])


def test_writes_last_every_epoch_and_best_beside_it(tmp_path):
    path = tmp_path / "run.xpt"
    script, ckpt = _run(path)
    assert script.saved_epochs == [1, 2, 3, 4, 5]  # rewritten at the end of every epoch
    assert best_path(path) == str(tmp_path / "run.best.xpt")
    _assert_holds(path, 5, script)
    _assert_holds(best_path(path), 4, script)  # the best epoch's weights, not the last
    assert (ckpt.best, ckpt.best_epoch) == (0.9, 4)


def test_save_best_only_writes_only_improvements(tmp_path):
    path = tmp_path / "best.xpt"
    script, _ = _run(path, save_best_only=True)
    assert script.saved_epochs == [1, 2, 2, 4, 4]
    _assert_holds(path, 4, script)
    assert not (tmp_path / "best.best.xpt").exists()


def test_best_path_without_suffix():
    assert best_path("dir/ckpt") == "dir/ckpt.best"


def test_resumed_run_keeps_the_best_from_history(tmp_path):
    class Loop:
        history = xpnet.train.History([{"epoch": 1, "val_accuracy": 0.9},
                                       {"epoch": 2, "val_accuracy": 0.7}])
    ckpt = ModelCheckpoint(tmp_path / "c.xpt")
    ckpt.on_train_begin(Loop())
    assert (ckpt.best, ckpt.best_epoch) == (0.9, 1)


def test_a_nan_epoch_is_never_the_best(tmp_path):
    """A NaN in epoch 1 must not become the best: nothing compares greater than NaN, so
    the best file would stay at epoch 1 for the rest of the run."""
    class Loop:
        history = xpnet.train.History([{"epoch": 1, "val_accuracy": float("nan")},
                                       {"epoch": 2, "val_accuracy": 0.7}])
    ckpt = ModelCheckpoint(tmp_path / "c.xpt")
    ckpt.on_train_begin(Loop())
    assert (ckpt.best, ckpt.best_epoch) == (0.7, 2)


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(path=3), "path"), (dict(path="a.npz", mode="up"), "mode"),
    (dict(path="a.npz", extra=[1]), "extra"), (dict(path="a.npz", monitor=None,
                                                    save_best_only=True), "monitor")])
def test_bad_arguments(kwargs, fragment):
    with pytest.raises((TypeError, ValueError), match=fragment):
        ModelCheckpoint(**kwargs)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_nan_guard_leaves_the_last_good_checkpoint(tmp_path):
    class Poison(Callback):
        """Makes the loss NaN in epoch 3 (as a blow-up would)."""
        def on_epoch_begin(self, loop):
            if loop.epoch == 3:
                loop.model.bias.data = loop.model.bias.data * float("nan")

    path = tmp_path / "c.xpt"
    model = nn.Linear(2, 2)
    script = Script(path, extra=False)
    with pytest.raises(xpnet.train.NonFiniteError, match="epoch 3, step 5"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            blob_loader(n=16, batch_size=8), epochs=5, progress=False,
            callbacks=[ModelCheckpoint(path, monitor=None), Poison(), script])
    _assert_holds(path, 2, script)
