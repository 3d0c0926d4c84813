"""read_idx / load_mnist on small IDX files written here with struct (independent writer)."""
import gzip
import struct

import numpy
import pytest

from xpnet.data import load_mnist, read_idx

CODES = {numpy.uint8: 0x08, numpy.int8: 0x09, numpy.int16: 0x0B, numpy.int32: 0x0C,
         numpy.float32: 0x0D, numpy.float64: 0x0E}


def idx_bytes(a, code=None):
    """IDX encoding: 0, 0, type code, ndim, big-endian uint32 sizes, big-endian data."""
    code = CODES[a.dtype.type] if code is None else code
    header = struct.pack(">BBBB", 0, 0, code, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


def write(path, payload, gz=False):
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


@pytest.mark.parametrize("gz", [False, True])
def test_uint8_images_and_labels(tmp_path, gz):
    rng = numpy.random.default_rng(0)
    images = rng.integers(0, 256, (5, 4, 3), dtype=numpy.uint8)
    labels = rng.integers(0, 10, 5, dtype=numpy.uint8)
    suffix = ".gz" if gz else ""
    pi = write(tmp_path / f"img{suffix}", idx_bytes(images), gz)
    pl = write(tmp_path / f"lab{suffix}", idx_bytes(labels), gz)
    got = read_idx(pi)
    assert got.dtype == numpy.uint8 and got.shape == (5, 4, 3)
    numpy.testing.assert_array_equal(got, images)
    numpy.testing.assert_array_equal(read_idx(str(pl)), labels)
    assert idx_bytes(images)[:4] == b"\x00\x00\x08\x03"  # MNIST's 0x00000803


@pytest.mark.parametrize("dtype", [numpy.int8, numpy.int16, numpy.int32, numpy.float32,
                                   numpy.float64])
def test_other_types_come_back_native_endian(tmp_path, dtype):
    a = (numpy.arange(-12, 12).reshape(2, 3, 4) * 3.25).astype(dtype)
    got = read_idx(write(tmp_path / "a.idx", idx_bytes(a)))
    assert got.dtype == numpy.dtype(dtype) and got.dtype.isnative
    numpy.testing.assert_array_equal(got, a)
    got[0, 0, 0] = 1  # writable


def test_gzip_detected_by_content_not_name(tmp_path):
    a = numpy.arange(6, dtype=numpy.int16)
    numpy.testing.assert_array_equal(read_idx(write(tmp_path / "plain-name", idx_bytes(a), True)), a)


def test_zero_dimensional_and_empty(tmp_path):
    assert read_idx(write(tmp_path / "s", idx_bytes(numpy.array(7, numpy.int32)))).tolist() == 7
    assert read_idx(write(tmp_path / "e", idx_bytes(numpy.zeros((0, 28), numpy.uint8)))).shape == (0, 28)


@pytest.mark.parametrize("payload, msg", [
    (b"\x00\x00", "not an IDX file: it has 2 bytes, fewer than the 4-byte magic number"),
    (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "not an IDX file: magic number 0x01000801"),
    (b"PK\x03\x04" + b"\x00" * 20, "not an IDX file: magic number 0x504B0304"),
    (b"\x00\x00\x0a\x01\x00\x00\x00\x01\x05", "not an IDX file: magic number 0x00000A01"),
    (b"\x00\x00\x08\x03\x00\x00\x00\x02", r"truncated IDX header: .* 3 dimensions \(16 header bytes\); the file has 8"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x04\x01\x02", r"truncated: the header says shape \(4,\) of uint8 = 4 data bytes; the file has 2"),
    (b"\x00\x00\x0c\x01\x00\x00\x00\x01" + b"\x00" * 6, r"2 extra bytes after the data: .*shape \(1,\) of int32 = 4 data bytes; the file has 6"),
])
@pytest.mark.parametrize("gz", [False, True])
def test_bad_files_name_the_file(tmp_path, payload, msg, gz):
    p = write(tmp_path / "bad-file", payload, gz)
    with pytest.raises(ValueError, match=msg) as e:
        read_idx(p)
    assert str(p) in str(e.value)


def test_damaged_gzip(tmp_path):
    p = write(tmp_path / "x.gz", gzip.compress(idx_bytes(numpy.arange(100, dtype=numpy.uint8)))[:-10])
    with pytest.raises(ValueError, match="damaged gzip file") as e:
        read_idx(p)
    assert str(p) in str(e.value)


def make_mnist(root, prefix, n, gz, dotted=False, n_labels=None):
    rng = numpy.random.default_rng(n)
    images = rng.integers(0, 256, (n, 28, 28), dtype=numpy.uint8)
    labels = rng.integers(0, 10, n if n_labels is None else n_labels, dtype=numpy.uint8)
    sep = "." if dotted else "-"
    ext = ".gz" if gz else ""
    write(root / f"{prefix}-images{sep}idx3-ubyte{ext}", idx_bytes(images), gz)
    write(root / f"{prefix}-labels{sep}idx1-ubyte{ext}", idx_bytes(labels), gz)
    return images, labels


def test_load_mnist_train_and_test(tmp_path):
    tr_i, tr_l = make_mnist(tmp_path, "train", 6, gz=True)
    te_i, te_l = make_mnist(tmp_path, "t10k", 3, gz=False)
    images, labels = load_mnist(tmp_path)
    assert images.shape == (6, 1, 28, 28) and images.dtype == numpy.uint8
    assert labels.shape == (6,) and labels.dtype == numpy.int64
    numpy.testing.assert_array_equal(images[:, 0], tr_i)
    numpy.testing.assert_array_equal(labels, tr_l)
    images, labels = load_mnist(str(tmp_path), train=False)
    numpy.testing.assert_array_equal(images[:, 0], te_i)
    numpy.testing.assert_array_equal(labels, te_l)


def test_load_mnist_dotted_names(tmp_path):
    _, l = make_mnist(tmp_path, "t10k", 2, gz=False, dotted=True)
    numpy.testing.assert_array_equal(load_mnist(tmp_path, train=False)[1], l)


def test_load_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_mnist(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match=r"found none of train-images-idx3-ubyte\[.gz\]"):
        load_mnist(tmp_path)
    make_mnist(tmp_path, "train", 4, gz=False, n_labels=5)
    with pytest.raises(ValueError, match="has 4 images but .* has 5 labels"):
        load_mnist(tmp_path)
    write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(numpy.zeros((2, 28, 28), numpy.float32)))
    write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(numpy.zeros(2, numpy.uint8)))
    with pytest.raises(ValueError, match="must be 3-D uint8 .* got 3-D float32"):
        load_mnist(tmp_path, train=False)
    with pytest.raises(TypeError, match="train=...\\) must be a bool"):
        load_mnist(tmp_path, train="test")
