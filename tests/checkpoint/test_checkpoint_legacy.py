"""Checkpoints written by xpnet 0.1 (``.npz`` + JSON structure) still load, never through pickle.

``data/legacy-0.1.npz`` was written by xpnet 0.1's ``xpnet.save`` (commit
89c47d1): a model and SGD-with-momentum state after one step, plus an int,
inf, a tuple, a big-endian and an empty array.
"""
import io
import pathlib
import struct
import zipfile

import numpy
import pytest

import xpnet
from crafted import assert_refused_without_allocating

LEGACY = pathlib.Path(__file__).parent / "data" / "legacy-0.1.npz"


def test_a_checkpoint_of_the_previous_release_loads_with_its_values():
    out = xpnet.load(LEGACY)
    with numpy.load(LEGACY, allow_pickle=False) as archive:  # an independent reader
        members = {name: archive[name] for name in archive.files}
    model = out["model"]
    assert list(model) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "1.num_batches_tracked", "2.weight", "2.bias"]
    assert all(isinstance(t, xpnet.Tensor) for t in model.values())
    on_disk = sorted((m for m in members if m.startswith("a")), key=lambda m: int(m[1:]))
    for t, name in zip(model.values(), on_disk):
        numpy.testing.assert_array_equal(t.numpy(), members[name])
        assert t.dtype == members[name].dtype
    buf = out["optimizer"]["state"][0]["momentum_buffer"]
    assert isinstance(buf, numpy.ndarray) and buf.shape == (4, 3) and numpy.abs(buf).max() > 0
    assert out["optimizer"]["param_groups"][0]["momentum"] == 0.9
    assert (out["epoch"], out["best"], out["shape"]) == (1, float("inf"), (2, 3))
    assert out["big"].dtype == numpy.dtype("int32") and out["big"].dtype.isnative
    numpy.testing.assert_array_equal(out["big"], [0, 1, 2])
    assert out["empty"].shape == (0, 2)


def _npz(path, compress=False, **arrays):
    (numpy.savez_compressed if compress else numpy.savez)(path, **arrays)


STRUCTURE = numpy.frombuffer(b'{"format": 1, "root": {"array": "a0"}}', numpy.uint8)


def _huge_member(path):
    """An .npy member whose header claims 2**40 float64 (8 TiB) but holds 8 bytes."""
    header = io.BytesIO()
    numpy.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__xpnet_structure__.npy", _npy(STRUCTURE))
        z.writestr("a0.npy", b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + b"\0" * 8)


def _member_claiming_2gib(path):
    """A stored member whose zip sizes (local and central) claim 2 GiB in a ~600-byte file."""
    header = io.BytesIO()
    numpy.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (2**31,)})
    npy = header.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__xpnet_structure__.npy", _npy(STRUCTURE))
        z.writestr("a0.npy", npy + b"\0" * 8)
    raw = bytearray(path.read_bytes())
    claim = len(npy) + 2**31
    local = raw.find(b"PK\x03\x04", 1)
    struct.pack_into("<II", raw, local + 18, claim, claim)
    central = raw.rfind(b"PK\x01\x02")
    struct.pack_into("<II", raw, central + 20, claim, claim)
    path.write_bytes(bytes(raw))


def _npy(arr):
    out = io.BytesIO()
    numpy.save(out, arr)
    return out.getvalue()


@pytest.mark.parametrize("make,message", [
    (lambda p: _npz(p, __xpnet_structure__=STRUCTURE, a0=numpy.array([{"x": 1}], dtype=object)),
     "has dtype object"),  # reading it would need pickle, i.e. running code
    (lambda p: _npz(p, True, __xpnet_structure__=STRUCTURE, a0=numpy.zeros(3)), "is compressed"),
    (lambda p: _npz(p, x=numpy.zeros(2)), r"no __xpnet_structure__ entry"),
    (lambda p: _npz(p, __xpnet_structure__=numpy.frombuffer(b"\xff{", numpy.uint8)),
     "unreadable checkpoint structure"),
    (lambda p: _npz(p, __xpnet_structure__=numpy.frombuffer(b'{"format": 2}', numpy.uint8)),
     "unsupported .npz checkpoint format"),
    (lambda p: _npz(p, __xpnet_structure__=numpy.frombuffer(
        b'{"format": 1, "root": {"array": "a9"}}', numpy.uint8)), "refers to array 'a9'"),
    (_huge_member, r"claims shape \(1099511627776,\) of float64 but holds 8 bytes"),
    (lambda p: p.write_bytes(b"PK\x03\x04" + b"\0" * 40), "not a readable xpnet .npz"),
    (_member_claiming_2gib, r"member 'a0.npy' claims 2147483776 bytes, more than the whole"),
])
def test_a_bad_legacy_file_is_a_value_error(tmp_path, make, message):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(ValueError, match=f"^load: {path}: .*{message}"):
        xpnet.load(path)


def test_a_legacy_member_claiming_more_than_the_file_is_never_allocated(tmp_path):
    path = tmp_path / "claim.npz"
    _member_claiming_2gib(path)
    assert_refused_without_allocating(path)  # the file is ~600 bytes; 2 GiB were claimed
