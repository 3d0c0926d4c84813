"""ProgressBar: per-batch bar with loss and samples/s on a terminal, silent otherwise."""
import io

from xpnet import nn, optim
from xpnet.train import ProgressBar, fit
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
