"""load_dataset on .npz files and MNIST-format folders written here; every error a ValueError."""
import gzip
import os
import zipfile

import numpy
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from data.test_idx import idx_bytes
from xpnet.data import load_dataset

IDX_FILES = {"x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
             "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte"}


def arrays(x_shape=(6, 4, 3), n_test=3, dtype=numpy.uint8, seed=0):
    rng = numpy.random.default_rng(seed)
    return dict(x_train=rng.integers(0, 256, x_shape).astype(dtype),
                y_train=rng.integers(0, 10, x_shape[0]).astype(numpy.uint8),
                x_test=rng.integers(0, 256, (n_test,) + x_shape[1:]).astype(dtype),
                y_test=rng.integers(0, 10, n_test).astype(numpy.uint8))


def write_npz(path, compressed=False, **a):
    (numpy.savez_compressed if compressed else numpy.savez)(path, **a)
    return path


def write_idx_folder(folder, gz=False, **a):
    folder.mkdir(exist_ok=True)
    for key, name in IDX_FILES.items():
        payload = idx_bytes(a[key])
        (folder / (name + ".gz" if gz else name)).write_bytes(gzip.compress(payload) if gz else payload)
    return folder


def assert_loaded(got, a):
    """load_dataset's contract: float32 features with the raw values, (N,H,W) -> (N,1,H,W), int64 labels."""
    for key, out in zip(("x_train", "y_train", "x_test", "y_test"), got):
        want = a[key]
        if key.startswith("x"):
            assert out.dtype == numpy.float32
            want = want[:, None] if want.ndim == 3 else want
        else:
            assert out.dtype == numpy.int64
        assert out.shape == want.shape and out.flags.writeable
        numpy.testing.assert_array_equal(out, want.astype(out.dtype))


@pytest.mark.parametrize("x_shape", [(6, 5), (6, 4, 3), (6, 2, 4, 3)])
@pytest.mark.parametrize("compressed", [False, True])
def test_npz_round_trip(tmp_path, x_shape, compressed):
    a = arrays(x_shape, dtype=numpy.float64)
    a["x_train"][0, 0] = -1.5  # raw values are kept, not rescaled
    assert_loaded(load_dataset(write_npz(tmp_path / "d.npz", compressed, **a)), a)


def test_npz_accepts_whole_float_labels_and_bool_features(tmp_path):
    a = arrays((5, 3))
    a["y_train"] = a["y_train"].astype(numpy.float32)
    a["x_test"] = a["x_test"] > 100
    assert_loaded(load_dataset(str(write_npz(tmp_path / "d.npz", **a))), a)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_folder_round_trip(tmp_path, gz):
    a = arrays((7, 5, 4))
    folder = write_idx_folder(tmp_path / "mnist", gz, **a)
    assert_loaded(load_dataset(folder), a)
    # the path of one of the four files means its folder
    assert_loaded(load_dataset(folder / (IDX_FILES["y_test"] + (".gz" if gz else ""))), a)


def test_missing_path_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'.*nope\.npz' does not exist; pass an \.npz"):
        load_dataset(tmp_path / "nope.npz")


def test_folder_without_mnist_files_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="found none of train-images-idx3-ubyte"):
        load_dataset(tmp_path)


def test_unknown_file_kind_and_path_type(tmp_path):
    p = tmp_path / "data.csv"
    p.write_text("1,2\n")
    with pytest.raises(ValueError, match=r"data\.csv' is neither an \.npz file nor an MNIST IDX"):
        load_dataset(p)
    with pytest.raises(TypeError, match="must be a str or os.PathLike; got int 3"):
        load_dataset(3)


def npz_error(tmp_path, **a):
    p = write_npz(tmp_path / "bad.npz", **a)
    with pytest.raises(ValueError) as e:
        load_dataset(p)
    assert str(p) in str(e.value)
    return str(e.value)


def test_npz_missing_and_extra_keys(tmp_path):
    a = arrays()
    msg = npz_error(tmp_path, x_val=a["x_test"], **{k: v for k, v in a.items() if k != "y_test"})
    assert "missing: ['y_test'], extra: ['x_val']" in msg


@pytest.mark.parametrize("key, value, expected", [
    ("y_train", numpy.array([0, 1, 2, -1, 4, 5]), "y_train must be non-negative class indices; got values from -1 to 5"),
    ("y_test", numpy.array([0.0, 1.5, 2.0]), "y_test must be whole numbers"),
    ("y_test", numpy.array([0.0, numpy.nan, 2.0]), "y_test must be whole numbers"),
    ("y_test", numpy.array(["a", "b", "c"]), "y_test must be integer class indices; got dtype <U1"),
    ("y_train", numpy.zeros((6, 1), numpy.int64), r"y_train must be 1-D \(N,\) class indices; got shape \(6, 1\)"),
    ("y_train", numpy.zeros(5, numpy.int64), "x_train has 6 samples but y_train has 5 labels"),
    ("x_test", numpy.full((3, 4, 3), numpy.inf), "x_test must be finite float32 numbers; 36 of its 36"),
    ("x_train", numpy.full((6, 4, 3), 1e300), "x_train must be finite float32 .* beyond float32's range"),
    ("x_train", numpy.zeros((6, 4, 3), numpy.complex64), "x_train must hold numbers .*got dtype complex64"),
    ("x_train", numpy.zeros(6), r"x_train must be \(N, F\), \(N, H, W\) or \(N, C, H, W\); got shape \(6,\)"),
    ("x_test", numpy.zeros((3, 3, 4)), r"x_train is \(6, 1, 4, 3\) and x_test \(3, 1, 3, 4\)"),
    ("x_test", numpy.zeros((0, 4, 3)), "x_test has 0 samples but y_test has 3"),
])
def test_npz_bad_contents(tmp_path, key, value, expected):
    a = arrays()
    a[key] = value
    assert __import__("re").search(expected, npz_error(tmp_path, **a))


def test_empty_split_and_object_arrays(tmp_path):
    a = arrays()
    a["x_test"], a["y_test"] = a["x_test"][:0], a["y_test"][:0]
    assert "x_test is empty" in npz_error(tmp_path, **a)
    a = arrays()
    a["y_test"] = numpy.array([0, "a", None], dtype=object)  # needs pickle: refused
    assert "Object arrays cannot be loaded" in npz_error(tmp_path, **a)


def test_not_a_zip_truncated_zip_and_bad_crc(tmp_path):
    p = tmp_path / "x.npz"
    numpy.save(tmp_path / "plain.npy", numpy.zeros(3))
    p.write_bytes((tmp_path / "plain.npy").read_bytes())  # an .npy named .npz
    with pytest.raises(ValueError, match="not a readable .npz file .*BadZipFile"):
        load_dataset(p)
    good = write_npz(tmp_path / "good.npz", **arrays()).read_bytes()
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="not a readable .npz file"):
        load_dataset(p)
    with zipfile.ZipFile(tmp_path / "good.npz") as zf:
        offset = zf.getinfo("x_train.npy").header_offset + 30 + len("x_train.npy") + 200
    p.write_bytes(good[:offset] + bytes([good[offset] ^ 1]) + good[offset + 1:])  # one pixel
    with pytest.raises(ValueError, match="Bad CRC-32"):
        load_dataset(p)


def test_idx_folder_errors_name_the_file(tmp_path):
    a = arrays((6, 4, 3))
    a["y_test"] = a["y_test"][:2]
    folder = write_idx_folder(tmp_path / "m", **a)
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte has 3 images but .*t10k-labels-idx1-ubyte has 2"):
        load_dataset(folder)
    a = arrays((6, 4, 3))
    a["x_test"] = a["x_test"][:, :3]
    with pytest.raises(ValueError, match=r"x_train is \(6, 1, 4, 3\) and x_test \(3, 1, 3, 3\)"):
        load_dataset(write_idx_folder(tmp_path / "m", **a))
    (folder / IDX_FILES["x_train"]).write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: truncated IDX header"):
        load_dataset(folder)


# ---------------------------------------------------------------------------
# damaged files: a ValueError or a correct load, never another exception
# ---------------------------------------------------------------------------
def damage(data: bytes, kind: str, at: int, xor: int) -> bytes:
    at %= len(data)
    if kind == "truncate":
        return data[:at]
    return data[:at] + bytes([data[at] ^ xor]) + data[at + 1:]


DAMAGE = dict(kind=st.sampled_from(["truncate", "flip"]), at=st.integers(0, 10**6),
              xor=st.integers(1, 255))
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("compressed", [False, True])
@FUZZ
@given(**DAMAGE)
def test_damaged_npz_is_value_error_or_unchanged(tmp_path, compressed, kind, at, xor):
    a = arrays((5, 3, 2))
    good = write_npz(tmp_path / "good.npz", compressed, **a).read_bytes()
    p = tmp_path / "bad.npz"
    p.write_bytes(damage(good, kind, at, xor))
    try:
        got = load_dataset(p)
    except ValueError as e:
        assert str(p) in str(e)
        return
    assert_loaded(got, a)  # the zip's CRC-32 leaves no silently different data


@FUZZ
@given(key=st.sampled_from(sorted(IDX_FILES)), **DAMAGE)
def test_damaged_idx_is_value_error_or_one_changed_value(tmp_path, key, kind, at, xor):
    a = arrays((5, 3, 2))
    folder = write_idx_folder(tmp_path / f"m{os.getpid()}", **a)
    p = folder / IDX_FILES[key]
    p.write_bytes(damage(idx_bytes(a[key]), kind, at, xor))
    try:
        got = dict(zip(("x_train", "y_train", "x_test", "y_test"), load_dataset(folder)))
    except ValueError as e:
        assert str(p) in str(e)
        return
    # IDX has no checksum: a flipped data byte is one different value, all else intact
    assert kind == "flip"
    for k, want in a.items():
        want = want[:, None].astype(numpy.float32) if k.startswith("x") else want.astype(numpy.int64)
        assert got[k].shape == want.shape and got[k].dtype == want.dtype
        assert numpy.count_nonzero(got[k] != want) == (k == key)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_a_value_error_not_a_hang(tmp_path):
    """A FIFO with no writer named as an .npz must not block the reader forever."""
    os.mkfifo(tmp_path / "data.npz")
    with pytest.raises(ValueError, match="not a regular file"):
        load_dataset(tmp_path / "data.npz")


def test_a_claimed_shape_larger_than_the_file_is_refused_before_allocating(tmp_path):
    """A .npy header claiming 2**40 float64 (8 TiB) in a ~1 KiB file: the claim is checked first."""
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }"
    header += b" " * (117 - len(header)) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
    with zipfile.ZipFile(tmp_path / "claim.npz", "w") as z:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            z.writestr(key + ".npy", npy)
    with pytest.raises(ValueError, match=r"member 'x_train.npy' claims shape \(1099511627776,\) "
                                         r"of float64 \(8796093022208 bytes\) but holds 0 bytes"):
        load_dataset(tmp_path / "claim.npz")
