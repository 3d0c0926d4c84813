"""Training state survives a checkpoint: model, optimizer, scheduler, scaler, RNG and epoch."""
import numpy
import pytest

import xpnet
from xpnet import nn, optim
from xpnet.data import MinMaxScaler, StandardScaler
from xpnet.optim.lr_scheduler import StepLR


def _train(model, opt, steps, sched=None):
    """Losses of ``steps`` steps on batches drawn from the global RNG (so the RNG state matters)."""
    losses = []
    for _ in range(steps):
        x = xpnet.randn(8, 4)
        y = xpnet.tensor(numpy.asarray(xpnet.rand(8).numpy() * 3, dtype=numpy.int64))
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(loss.item())
    return losses


def _setup(seed):
    xpnet.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3),
                          nn.Linear(8, 3))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    return model, opt, StepLR(opt, step_size=2, gamma=0.5)


def test_resuming_from_a_bundle_continues_bit_identically(tmp_path, backend_name):
    model, opt, sched = _setup(0)
    _train(model, opt, 3, sched)
    scaler = StandardScaler().fit(numpy.arange(12.0).reshape(4, 3) ** 2)
    minmax = MinMaxScaler(feature_range=(-1, 1)).fit(numpy.arange(6.0).reshape(3, 2))
    path = tmp_path / "ckpt.xpt"
    xpnet.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(), "scaler": scaler.state_dict(),
                "minmax": minmax.state_dict(), "rng": xpnet.get_rng_state(), "epoch": 3,
                "best": float("inf")}, path)
    expected = _train(model, opt, 3, sched)

    model2, opt2, sched2 = _setup(123)  # other weights and RNG: the checkpoint must restore all
    ckpt = xpnet.load(path)
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optimizer"])
    sched2.load_state_dict(ckpt["scheduler"])
    xpnet.set_rng_state(ckpt["rng"])
    scaler2, minmax2 = StandardScaler().load_state_dict(ckpt["scaler"]), MinMaxScaler()
    minmax2.load_state_dict(ckpt["minmax"])
    assert (ckpt["epoch"], ckpt["best"]) == (3, float("inf"))
    assert _train(model2, opt2, 3, sched2) == expected
    assert sched2.get_last_lr() == sched.get_last_lr()
    data = numpy.arange(6.0).reshape(2, 3)
    numpy.testing.assert_array_equal(scaler2.transform(data), scaler.transform(data))
    numpy.testing.assert_array_equal(minmax2.transform(data[:, :2]), minmax.transform(data[:, :2]))


def test_the_rng_state_round_trips_exactly(tmp_path):
    xpnet.manual_seed(7)
    xpnet.rand(5)  # move away from the seeded start
    state = xpnet.get_rng_state()
    assert state["state"]["state"] >= 2**64  # a 128-bit integer: beyond int64 and float
    xpnet.save(state, tmp_path / "rng")
    expected = xpnet.rand(4).numpy()
    xpnet.manual_seed(0)
    xpnet.set_rng_state(xpnet.load(tmp_path / "rng"))
    numpy.testing.assert_array_equal(xpnet.rand(4).numpy(), expected)


@pytest.mark.parametrize("scaler", [StandardScaler(with_mean=False), MinMaxScaler()])
def test_scaler_state_with_none_statistics_round_trips(tmp_path, scaler):
    scaler.fit(numpy.arange(8.0).reshape(4, 2))
    xpnet.save(scaler.state_dict(), tmp_path / "s")
    loaded = xpnet.load(tmp_path / "s")
    assert loaded.keys() == scaler.state_dict().keys()
    again = type(scaler)().load_state_dict(loaded)
    numpy.testing.assert_array_equal(again.transform(numpy.ones((1, 2))),
                                     scaler.transform(numpy.ones((1, 2))))
