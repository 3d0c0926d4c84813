"""EarlyStopping: stops at the right epoch on scripted metrics, restores the best weights."""
import numpy
import pytest

from xpnet import nn, optim
from xpnet.train import Callback, EarlyStopping, History, fit
from training import blob_loader, weights


class Script(Callback):
    """Puts ``values[epoch - 1]`` into the record as ``score`` and keeps each epoch's weights."""
    order = -1

    def __init__(self, values):
        self.values, self.weights = values, {}

    def on_epoch_end(self, loop):
        loop.record["score"] = self.values[loop.epoch - 1]
        self.weights[loop.epoch] = weights(loop.model)


SCORES = [5.0, 3.0, 4.0, 2.9999, 6.0, 7.0, 1.0, 8.0]


@pytest.mark.parametrize("mode,sign", [("min", 1.0), ("max", -1.0)])
@pytest.mark.parametrize("min_delta,patience,stopped,best", [
    (0.0, 2, 6, 4),    # 2.9999 improves on 3: the wait restarts at epoch 4, runs out at 6
    (0.01, 2, 4, 2),   # ... but not by min_delta: epochs 3 and 4 wait, stop after 4
    (0.0, 0, 3, 2),    # patience 0: the first epoch without improvement stops
    (0.0, 5, 8, 7),    # never runs out: trains all epochs, best is epoch 7
])
def test_stops_at_the_right_epoch_and_restores_best(mode, sign, min_delta, patience,
                                                    stopped, best):
    script = Script([sign * v for v in SCORES])
    stop = EarlyStopping(monitor="score", mode=mode, patience=patience, min_delta=min_delta,
                         restore_best_weights=True)
    model = nn.Linear(2, 2)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
                  blob_loader(n=16), epochs=len(SCORES), callbacks=[script, stop], progress=False)
    assert len(history.epochs) == stopped
    assert stop.stopped_epoch == (stopped if stopped < len(SCORES) else 0)
    assert stop.best_epoch == best and stop.best == sign * SCORES[best - 1]
    for k, v in weights(model).items():
        numpy.testing.assert_array_equal(v, script.weights[best][k])
        assert not numpy.array_equal(v, script.weights[stopped][k]) or best == stopped


def test_without_restore_keeps_the_last_weights():
    script = Script(SCORES)
    model = nn.Linear(2, 2)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), blob_loader(n=16),
        epochs=8, callbacks=[script, EarlyStopping("score", patience=0)], progress=False)
    for k, v in weights(model).items():
        numpy.testing.assert_array_equal(v, script.weights[3][k])


def test_resumed_run_rebuilds_best_and_wait_from_history():
    class FakeLoop:
        history = History([{"epoch": e, "score": s} for e, s in enumerate(SCORES[:3], 1)])
    stop = EarlyStopping("score", patience=2)
    stop.on_train_begin(FakeLoop())
    assert (stop.best, stop.best_epoch, stop.wait) == (3.0, 2, 1)


@pytest.mark.parametrize("resumed_scores, kept", [([4.0, 3.5], 4), ([2.0, 4.0], 3)])
def test_resumed_run_restores_only_epochs_it_trained_and_warns_otherwise(resumed_scores, kept):
    """Resumed after epoch 2 (best 3.0): a better epoch 3 is restored; if none is better,
    epoch 2's weights are gone, so the last ones stay, with a warning saying so."""
    script = Script([None, None] + resumed_scores)
    stop = EarlyStopping("score", patience=5, restore_best_weights=True)
    model = nn.Linear(2, 2)
    done = History([{"epoch": 1, "score": 5.0}, {"epoch": 2, "score": 3.0}])
    args = (model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            blob_loader(n=16))
    kwargs = dict(epochs=4, initial_epoch=2, history=done, callbacks=[script, stop],
                  progress=False)
    if kept == 3:
        fit(*args, **kwargs)
    else:
        with pytest.warns(UserWarning, match=r"best epoch \(2, score=3.0\) was trained before "
                                             r"this run resumed.*keeps those of epoch 4"):
            fit(*args, **kwargs)
    for k, v in weights(model).items():
        numpy.testing.assert_array_equal(v, script.weights[kept][k])


def test_missing_monitor_names_the_keys():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"no 'val_loss'.*fit\(val_loader"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            blob_loader(n=16), callbacks=[EarlyStopping()], progress=False)


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(mode="auto"), "mode"), (dict(patience=-1), "patience"),
    (dict(min_delta=-0.1), "min_delta"), (dict(monitor=3), "monitor")])
def test_bad_arguments(kwargs, fragment):
    with pytest.raises((ValueError, TypeError), match=fragment):
        EarlyStopping(**kwargs)
