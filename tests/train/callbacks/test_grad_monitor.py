"""GradientMonitor: per-parameter norms equal norms computed directly, fetched once per epoch."""
import numpy
import pytest

from xpnet import nn, optim
from xpnet.train import Callback, ClipGradNorm, GradientMonitor, fit
from tolerances import assert_close
from training import blob_loader


class DirectNorms(Callback):
    """The norms computed on the host with NumPy in float64, every step."""
    order = -1

    def __init__(self):
        self.steps = {}

    def on_after_backward(self, loop):
        self.steps.setdefault(loop.epoch, []).append({
            name: (numpy.linalg.norm(p.grad.numpy().astype(numpy.float64)),
                   numpy.linalg.norm(p.numpy().astype(numpy.float64)))
            for name, p in loop.model.named_parameters()})


def test_norms_equal_direct_computation(backend_name):
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    direct, monitor = DirectNorms(), GradientMonitor()
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5),
                  blob_loader(n=40, batch_size=16), epochs=3, callbacks=[direct, monitor],
                  progress=False)
    names = [n for n, _ in model.named_parameters()]
    assert set(monitor.history) == {"grad_mean", "grad_max", "grad_last", "weight_mean",
                                    "weight_max", "weight_last"}
    for e in (1, 2, 3):
        steps = direct.steps[e]
        for i, what in enumerate(("grad", "weight")):
            for name in names:
                values = [s[name][i] for s in steps]
                got = {stat: monitor.history[f"{what}_{stat}"][name][e - 1]
                       for stat in ("mean", "max", "last")}
                assert_close(numpy.array([got["mean"], got["max"], got["last"]]),
                             numpy.array([numpy.mean(values), max(values), values[-1]]),
                             dtype="float32")
        means = [monitor.grad_norms[n][e - 1] for n in names]
        assert history.epochs[e - 1]["grad_norm_min"] == min(means)
        assert history.epochs[e - 1]["grad_norm_max"] == max(means)


def test_records_unclipped_norms_and_clip_bounds_the_step():
    class TotalNorm(Callback):
        order = 6  # after ClipGradNorm

        def __init__(self):
            self.totals = []

        def on_after_backward(self, loop):
            self.totals.append(numpy.sqrt(sum(float((p.grad.numpy() ** 2).sum())
                                              for p in loop.model.parameters())))
    model = nn.Linear(2, 2)
    monitor, total = GradientMonitor(), TotalNorm()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
        blob_loader(n=16, batch_size=16, scale=100.0), epochs=2,
        callbacks=[total, ClipGradNorm(0.01), monitor], progress=False)
    assert max(total.totals) <= 0.01 * (1 + 1e-5)
    assert monitor.grad_norms["weight"][0] > 0.01  # the monitor saw the raw gradient


@pytest.mark.parametrize("bad", [0, -1.0, "1", True])
def test_clip_needs_a_positive_number(bad):
    with pytest.raises(ValueError, match="max_norm"):
        ClipGradNorm(bad)
