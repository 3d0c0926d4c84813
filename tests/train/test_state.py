"""Resumable training at the library level: stop after epoch k, restore, continue = one run."""
import numpy
import pytest

import xpnet
from xpnet import nn, optim
from xpnet.train import ModelCheckpoint, fit, restore_training_state
from training import blob_loader, dropout_mlp, weights


def _setup():
    """Everything built the same way from the same seed, as a fresh process would."""
    xpnet.manual_seed(0)
    model = dropout_mlp()
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched, blob_loader(n=40, batch_size=8), blob_loader(n=16, shuffle=False)


def _fit(parts, epochs, **kwargs):
    model, opt, sched, train, val = parts
    return fit(model, nn.CrossEntropyLoss(), opt, train, epochs=epochs, val_loader=val,
               scheduler=sched, progress=False, **kwargs)


def _without_seconds(history):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in history.epochs]


def _resumed(tmp_path, restore_rng=True):
    path = tmp_path / "ckpt.xpt"
    _fit(_setup(), 2, callbacks=[ModelCheckpoint(path)])
    parts = _setup()
    state = xpnet.load(path)
    if not restore_rng:
        state["rng"] = xpnet.get_rng_state()  # the fresh process's generator instead
    epoch, history, extra = restore_training_state(state, *parts[:3])
    assert (epoch, extra) == (2, {})
    return parts[0], _fit(parts, 4, initial_epoch=epoch, history=history)


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    parts = _setup()
    whole = _fit(parts, 4)
    model, resumed = _resumed(tmp_path)
    assert _without_seconds(resumed) == _without_seconds(whole)
    for k, v in weights(model).items():
        assert numpy.array_equal(v, weights(parts[0])[k]), k


def test_resume_without_the_rng_state_differs(tmp_path):
    """The dropout masks come from the global generator: without its state the
    continued run is a different run (what the CLI test would catch otherwise)."""
    parts = _setup()
    _fit(parts, 4)
    model, _ = _resumed(tmp_path, restore_rng=False)
    assert not all(numpy.array_equal(v, weights(parts[0])[k]) for k, v in weights(model).items())


def test_bad_states_are_refused_and_change_nothing(tmp_path):
    path = tmp_path / "ckpt.xpt"
    _fit(_setup(), 1, callbacks=[ModelCheckpoint(path)])
    model, opt, sched, _, _ = _setup()
    before = weights(model)
    state = xpnet.load(path)
    with pytest.raises(ValueError, match="exactly the keys"):
        restore_training_state({k: v for k, v in state.items() if k != "rng"}, model, opt, sched)
    with pytest.raises(ValueError, match="scheduler"):
        restore_training_state(state, model, opt)
    other = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    with pytest.raises(ValueError, match="does not fit"):
        restore_training_state(state, other, optim.Adam(other.parameters()), sched)
    wrong_opt = optim.Adam(model.parameters(), lr=0.01)
    bad = dict(state, optimizer={"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="does not fit"):
        restore_training_state(bad, model, wrong_opt, sched)
    for k, v in weights(model).items():  # the model was loaded, then rolled back
        numpy.testing.assert_array_equal(v, before[k])
