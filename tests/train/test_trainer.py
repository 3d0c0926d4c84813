"""evaluate / predict and the accuracy metric (fit: test_loop.py)."""

import numpy
import pytest

import xpnet
from xpnet import nn
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import accuracy, evaluate, predict


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
