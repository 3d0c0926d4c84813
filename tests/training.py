"""Small data and models for the training-loop tests (tests/train, tests/cli)."""
import numpy

import xpnet
from xpnet import nn
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import Callback


def blobs(n=120, seed=0):
    """Two well-separated Gaussian blobs: a linear model must reach accuracy 1."""
    rng = numpy.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.standard_normal((n, 2)).astype(numpy.float32) * 0.3 + (y[:, None] * 4.0 - 2.0)
    return xpnet.tensor(x.astype(numpy.float32)), xpnet.tensor(y)


def blob_loader(n=120, batch_size=16, shuffle=True, scale=1.0):
    x, y = blobs(n)
    return DataLoader(TensorDataset(x * scale, y), batch_size=batch_size, shuffle=shuffle, seed=0)


def dropout_mlp():
    """An MLP with dropout: its training depends on the global random generator."""
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))


def weights(model):
    """``{name: host copy}`` of the model's parameters and buffers."""
    return {k: v.numpy() for k, v in model.state_dict().items()}


class Recorder(Callback):
    """Logs every hook call as (hook, epoch, step, batch_in_epoch)."""

    def __init__(self):
        self.calls = []

    def _log(self, name, loop):
        self.calls.append((name, loop.epoch, loop.step, loop.batch_in_epoch))

    def on_train_begin(self, loop): self._log("train_begin", loop)
    def on_epoch_begin(self, loop): self._log("epoch_begin", loop)
    def on_after_backward(self, loop): self._log("after_backward", loop)
    def on_batch_end(self, loop): self._log("batch_end", loop)
    def on_epoch_end(self, loop): self._log("epoch_end", loop)
    def on_train_end(self, loop): self._log("train_end", loop)
