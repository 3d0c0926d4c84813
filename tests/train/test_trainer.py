"""fit / evaluate / predict and the accuracy metric."""

import numpy
import pytest

import xpnet
from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import accuracy, evaluate, fit, predict


def _blobs(n=120, seed=0):
    """Two well-separated Gaussian blobs: a linear model must reach accuracy 1."""
    rng = numpy.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 2)).astype(numpy.float32) * 0.3 + (y[:, None] * 4.0 - 2.0)
    return xpnet.tensor(x.astype(numpy.float32)), xpnet.tensor(y)


def test_accuracy_closed_form(backend_name):
    out = xpnet.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    assert accuracy(out, xpnet.tensor([1, 0, 0, 1])) == pytest.approx(0.5)
    assert accuracy(out, xpnet.tensor([1, 0, 1, 0])) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="accuracy needs output"):
        accuracy(out, xpnet.tensor([1, 0]))


def test_fit_learns_and_records_history(backend_name):
    x, y = _blobs()
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, seed=0)
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    seen = []
    history = fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=4, val_loader=loader,
                  scheduler=sched, progress=False, on_epoch_end=seen.append)
    assert [e["epoch"] for e in history.epochs] == [1, 2, 3, 4] and seen == history.epochs
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])
    assert history["loss"][-1] < history["loss"][0]
    assert history.last["val_accuracy"] == 1.0
    final = evaluate(model, loader, nn.CrossEntropyLoss())
    assert final["loss"] == pytest.approx(history.last["val_loss"])
    assert model.training  # evaluate restores the mode


def test_evaluate_weights_batches_by_size():
    x, y = _blobs(10)
    model = nn.Linear(2, 2)
    loss_fn = nn.CrossEntropyLoss(reduction="mean")
    full = evaluate(model, DataLoader(TensorDataset(x, y), batch_size=10), loss_fn)
    parts = evaluate(model, DataLoader(TensorDataset(x, y), batch_size=3), loss_fn)  # 3,3,3,1
    assert parts["loss"] == pytest.approx(full["loss"], rel=1e-6)
    assert parts["accuracy"] == pytest.approx(full["accuracy"])


def test_predict_matches_forward_in_eval_mode(backend_name):
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    x = xpnet.randn(10, 2)
    out = predict(model, x, batch_size=4)
    model.eval()
    numpy.testing.assert_allclose(out.numpy(), model(x).numpy(), rtol=1e-6)
    assert not out.requires_grad


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_fit_stops_on_nan_loss():
    x, y = _blobs(32)
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=1e30)  # explodes
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fit(model, nn.CrossEntropyLoss(), opt, DataLoader(TensorDataset(x * 1e10, y), 8),
            epochs=5, progress=False)


@pytest.mark.parametrize("kwargs,fragment", [(dict(epochs=0), "epochs"),
                                             (dict(metrics=("f1",)), "metrics")])
def test_fit_bad_arguments(kwargs, fragment):
    x, y = _blobs(8)
    model = nn.Linear(2, 2)
    before = model.weight.numpy()
    with pytest.raises(ValueError, match=fragment):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
            DataLoader(TensorDataset(x, y), 4), progress=False, **{"epochs": 1, **kwargs})
    numpy.testing.assert_array_equal(model.weight.numpy(), before)


def test_progress_bar_goes_to_stderr(capsys):
    x, y = _blobs(16)
    model = nn.Linear(2, 2)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
        DataLoader(TensorDataset(x, y), 4), epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "8/8" in err and "batch" in err
