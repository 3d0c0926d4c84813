"""The main job: accuracy of the defaults, the options, save/resume at the job level."""
import numpy
import pytest

import xpnet
from xpnet import optim
from xpnet.train.config import TrainConfig
from xpnet.train.job import OPTIMIZERS, run


def test_main_job_cnn_reaches_097():
    result = run(TrainConfig(model="cnn"), progress=False)
    assert len(result.history.epochs) == 15
    assert result.test_accuracy >= 0.97, result.test_accuracy


def test_main_job_mlp_reaches_095():
    result = run(TrainConfig(model="mlp"), progress=False)
    assert len(result.history.epochs) == 40
    assert result.test_accuracy >= 0.95, result.test_accuracy


def test_same_seed_same_result_other_seed_other_result():
    a, b, c = (run(TrainConfig(model="mlp", epochs=2, seed=s), progress=False) for s in (3, 3, 4))
    assert a.history["loss"] == b.history["loss"] != c.history["loss"]


@pytest.mark.parametrize("name,cls,expected", [
    ("sgd", optim.SGD, dict(momentum=0.0, nesterov=False)),
    ("momentum", optim.SGD, dict(momentum=0.9, nesterov=False)),
    ("nesterov", optim.SGD, dict(momentum=0.9, nesterov=True)),
    ("adagrad", optim.Adagrad, dict(weight_decay=0.0)),
    ("rmsprop", optim.RMSprop, dict(momentum=0.0)),
    ("adam", optim.Adam, dict(weight_decay=0.0)),
    ("adamw", optim.AdamW, dict(weight_decay=0.01)),
])
def test_each_optimizer_name_builds_the_right_optimizer(name, cls, expected):
    config = TrainConfig(model="mlp", optimizer=name, lr=0.05)
    opt = OPTIMIZERS[name]([xpnet.zeros(2, requires_grad=True)], config)
    assert type(opt) is cls
    group = opt.param_groups[0]
    assert group["lr"] == 0.05
    assert {k: group[k] for k in expected} == expected


def test_momentum_and_weight_decay_reach_the_optimizer():
    config = TrainConfig(model="mlp", optimizer="rmsprop", momentum=0.5, weight_decay=1e-3)
    group = OPTIMIZERS["rmsprop"]([xpnet.zeros(2, requires_grad=True)], config).param_groups[0]
    assert (group["momentum"], group["weight_decay"]) == (0.5, 1e-3)


@pytest.mark.parametrize("options", [
    dict(batch_size="full", optimizer="nesterov", lr=0.1, scale="minmax"),
    dict(batch_size=1, optimizer="sgd", lr=0.01, scale="none", init="he", activation="tanh"),
    dict(init="xavier", activation="leaky_relu", dropout=0.0, clip_grad_norm=1.0),
])
def test_options_train(options):
    """Each combination learns: the training loss falls from epoch 1 to 2 (one step
    per epoch with the full batch, 1347 with batch size 1)."""
    result = run(TrainConfig(model="mlp", epochs=2, **options), progress=False)
    assert result.history["loss"][1] < result.history["loss"][0], result.history["loss"]


def test_gradient_monitor_option_returns_norms():
    result = run(TrainConfig(model="mlp", epochs=2), progress=False, monitor_gradients=True)
    assert set(result.grad_norms) == {f"{i}.{w}" for i in (0, 3, 5) for w in ("weight", "bias")}
    assert all(len(v) == 2 and all(x > 0 for x in v) for v in result.grad_norms.values())
    assert "grad_norm_max" in result.history.last


def _weights_of(path):
    return {k: v.numpy() for k, v in xpnet.load(path)["model"].items()}


def test_resume_continues_bit_identically(tmp_path):
    """save after 2 epochs, resume to 3 = 3 epochs straight (mlp with dropout, adam)."""
    straight, first = tmp_path / "straight.npz", tmp_path / "first.npz"
    whole = run(TrainConfig(model="mlp", epochs=3), save=straight, progress=False)
    run(TrainConfig(model="mlp", epochs=2), save=first, progress=False)
    resumed = run(TrainConfig(model="mlp", epochs=3), save=first, resume=first, progress=False)
    drop = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h.epochs]  # noqa
    assert drop(resumed.history) == drop(whole.history)
    a, b = _weights_of(straight), _weights_of(first)
    assert all(numpy.array_equal(a[k], b[k]) for k in a)
    assert resumed.test_accuracy == whole.test_accuracy


def test_resume_refuses_other_options(tmp_path):
    path = tmp_path / "c.xpt"
    run(TrainConfig(model="mlp", epochs=2), save=path, progress=False)
    with pytest.raises(ValueError, match="lr: 0.01 vs 0.001; seed: 1 vs 0"):
        run(TrainConfig(model="mlp", epochs=3, seed=1, lr=0.01), resume=path, progress=False)
    with pytest.raises(ValueError, match="2 epochs done, more than --epochs 1"):
        run(TrainConfig(model="mlp", epochs=1), resume=path, progress=False)
    xpnet.save({"model": {}}, tmp_path / "other.npz")
    with pytest.raises(ValueError, match="not a checkpoint written by xpnet train"):
        run(TrainConfig(model="mlp", epochs=2), resume=tmp_path / "other.npz", progress=False)
    with pytest.raises(FileNotFoundError, match="no such file"):
        run(TrainConfig(model="mlp", epochs=2), resume=tmp_path / "none.npz", progress=False)


@pytest.mark.parametrize("key, value, fragment", [
    ("epoch", None, r"exactly the keys .* got \[.*\]"), ("epoch", "2", "state\\['epoch'\\] must be an int"),
    ("history", {}, "state\\['history'\\] must be a list")])
def test_resume_refuses_a_damaged_state_with_a_value_error(tmp_path, key, value, fragment):
    """A checkpoint with the CLI's extra but a missing or mistyped field: a ValueError naming
    --resume (the CLI's one-line error), not a KeyError/TypeError traceback."""
    path = tmp_path / "c.xpt"
    run(TrainConfig(model="mlp", epochs=1), save=path, progress=False)
    state = xpnet.load(path)
    if value is None:
        del state[key]
    else:
        state[key] = value
    xpnet.save(state, path)
    with pytest.raises(ValueError, match=f"--resume {path}: .*{fragment}"):
        run(TrainConfig(model="mlp", epochs=2), resume=path, progress=False)


class _PoisonGradients(xpnet.train.Callback):
    """A callback that makes every gradient NaN from epoch ``epoch`` on (a run diverging late)."""
    order = -100  # before the guard looks at the step

    def __init__(self, epoch):
        self.epoch = epoch

    def on_after_backward(self, loop):
        if loop.epoch >= self.epoch:
            for p in loop.model.parameters():
                p.grad = p.grad * float("nan")


def test_a_diverging_run_reports_the_epochs_it_finished():
    """The NaN guard's error carries the history and gradient norms of the finished epochs,
    so ``xpnet train --plot`` can draw how the run got there."""
    config = TrainConfig(model="mlp", epochs=4)
    with pytest.raises(xpnet.train.NonFiniteError) as e:
        run(config, progress=False, monitor_gradients=True, callbacks=[_PoisonGradients(3)])
    assert [r["epoch"] for r in e.value.history.epochs] == [1, 2]
    assert e.value.epoch == 3
    assert set(e.value.grad_norms) == {"0.weight", "0.bias", "3.weight", "3.bias",
                                       "5.weight", "5.bias"}
    assert all(len(v) == 2 and all(x > 0 for x in v) for v in e.value.grad_norms.values())
