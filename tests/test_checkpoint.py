"""xpnet.save / xpnet.load: round trips, atomic writes, nothing executed on load."""
import os

import numpy
import pytest

import xpnet
from xpnet import nn, optim


def _train(model, opt, steps, seed=0):
    rng = numpy.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        x = xpnet.tensor(rng.standard_normal((8, 4)).astype(numpy.float32))
        y = xpnet.tensor(rng.integers(0, 3, 8))
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def _model():
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def test_resuming_from_a_checkpoint_continues_bit_identically(tmp_path, backend_name):
    xpnet.manual_seed(0)
    model = _model()
    opt = optim.Adam(model.parameters(), lr=1e-2)
    _train(model, opt, 3)
    path = tmp_path / "ckpt.npz"
    xpnet.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
                "note": "after 3 steps", "best": float("inf"), "shape": (2, 3)}, path)
    expected = _train(model, opt, 3, seed=1)

    xpnet.manual_seed(123)  # different initial weights: the checkpoint must overwrite them
    model2 = _model()
    opt2 = optim.Adam(model2.parameters(), lr=1e-2)
    ckpt = xpnet.load(path)
    model2.load_state_dict(ckpt["model"])
    opt2.load_state_dict(ckpt["optimizer"])
    assert (ckpt["epoch"], ckpt["note"], ckpt["best"], ckpt["shape"]) == (3, "after 3 steps",
                                                                         float("inf"), (2, 3))
    assert _train(model2, opt2, 3, seed=1) == expected


def test_tensors_come_back_as_tensors_arrays_as_arrays(tmp_path):
    path = tmp_path / "mixed"
    t = xpnet.tensor([[1.0, 2.0]], dtype=xpnet.float64)
    a = numpy.arange(3, dtype=numpy.int32)
    xpnet.save({0: t, "a": a, "nested": [None, True, {"x": 1.5}]}, path)
    out = xpnet.load(path)
    assert isinstance(out[0], xpnet.Tensor) and out[0].dtype == xpnet.float64
    numpy.testing.assert_array_equal(out[0].numpy(), t.numpy())
    assert isinstance(out["a"], numpy.ndarray) and out["a"].dtype == numpy.int32
    assert out["nested"] == [None, True, {"x": 1.5}]
    assert os.listdir(tmp_path) == ["mixed"]  # the exact name: no ".npz" appended, no temp left


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    xpnet.save({"w": xpnet.tensor([1.0, 2.0])}, path)
    before = path.read_bytes()

    def broken_savez(f, **arrays):
        f.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(numpy, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        xpnet.save({"w": xpnet.tensor([3.0])}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError, match=r"obj\['f'\] is a function"):
        xpnet.save({"f": lambda: 0}, path)
    with pytest.raises(TypeError, match="keys must be str or int"):
        xpnet.save({(1, 2): 0}, path)
    assert not path.exists()


def test_load_never_unpickles(tmp_path):
    # an .npz holding an object array would need pickle (i.e. running code) to read
    path = tmp_path / "evil.npz"
    numpy.savez(path, __xpnet_structure__=numpy.frombuffer(b'{"format": 1, "root": {"array": "a0"}}', numpy.uint8),
                a0=numpy.array([{"x": 1}], dtype=object))
    with pytest.raises(ValueError, match="not an xpnet checkpoint"):
        xpnet.load(path)


@pytest.mark.parametrize("content,fragment", [
    (b"not a zip", "not an xpnet checkpoint"),
    (None, "no __xpnet_structure__"),
])
def test_load_rejects_foreign_files(tmp_path, content, fragment):
    path = tmp_path / "f.npz"
    if content is None:
        numpy.savez(path, x=numpy.zeros(2))
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=fragment):
        xpnet.load(path)


def test_load_of_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        xpnet.load(tmp_path / "nope.npz")
