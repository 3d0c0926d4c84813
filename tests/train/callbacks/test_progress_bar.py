"""ProgressBar: per-batch bar with loss and samples/s on a terminal, silent otherwise."""
import io

import numpy
import pytest

from xpnet import nn, optim
from xpnet.data import DataLoader, TensorDataset
from xpnet.train import ProgressBar, fit
from xpnet.train.callbacks.progress import samples_per_epoch
from training import blob_loader


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def _fit(**kwargs):
    model = nn.Linear(2, 2)
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
        blob_loader(n=16, batch_size=4), epochs=2, **kwargs)


def test_silent_when_stderr_is_not_a_terminal(capsys):
    _fit(progress=True)  # pytest's captured stderr is not a tty
    assert capsys.readouterr().err == ""


def test_draws_per_batch_on_a_terminal():
    term = FakeTerminal()
    _fit(progress=False, callbacks=[ProgressBar(file=term)])
    out = term.getvalue()
    assert "epoch 1/2" in out and "epoch 2/2" in out
    assert "16/16" in out and "sample/s" in out and "loss=" in out
    assert "accuracy=" in out  # the epoch's record at the end


def test_disable_forces_it_off():
    term = FakeTerminal()
    _fit(progress=False, callbacks=[ProgressBar(file=term, disable=True)])
    assert term.getvalue() == ""


@pytest.mark.parametrize("kwargs", [dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                    dict(batch_size=2, num_replicas=2, rank=1),
                                    dict(batch_size=2, num_replicas=3, rank=2, drop_last=True)])
def test_bar_total_is_what_the_loader_yields(kwargs):
    """The bar's total: a data-parallel rank sees its share, not the whole data set."""
    loader = DataLoader(TensorDataset(numpy.arange(7.0)), **kwargs)
    assert samples_per_epoch(loader) == sum(x.shape[0] for (x,) in loader)
