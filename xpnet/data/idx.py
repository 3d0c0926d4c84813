"""Read IDX files (the MNIST / Fashion-MNIST / EMNIST format), plain or gzipped.

An IDX file is a header and a dense big-endian array::

    bytes 0-1   0x00 0x00
    byte  2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4 .. 4+4d   d sizes, big-endian uint32
    then        prod(sizes) items of the type, big-endian, C (row-major) order

MNIST's ``train-images-idx3-ubyte`` has magic ``0x00000803`` (uint8, 3-D:
60000 x 28 x 28) and ``train-labels-idx1-ubyte`` ``0x00000801`` (uint8,
1-D).  A file is read as gzip when it starts with the gzip signature
``1f 8b``, whatever its name.

xpnet downloads nothing: fetch the four MNIST files yourself (e.g. from a
mirror of http://yann.lecun.com/exdb/mnist/) into one folder and call
:func:`load_mnist` on it.

>>> from xpnet.data import load_mnist                 # doctest: +SKIP
>>> images, labels = load_mnist("~/data/mnist")       # doctest: +SKIP
>>> images.shape, images.dtype, labels.dtype          # doctest: +SKIP
((60000, 1, 28, 28), dtype('uint8'), dtype('int64'))

See also: :func:`xpnet.data.load_digits` (small digits shipped with xpnet).
"""
from __future__ import annotations

import gzip
import math
import os
import zlib
from typing import Tuple, Union

import numpy

from ..dtypes import is_bool

# type code -> big-endian NumPy dtype
IDX_DTYPES = {0x08: numpy.dtype(">u1"), 0x09: numpy.dtype(">i1"), 0x0B: numpy.dtype(">i2"),
              0x0C: numpy.dtype(">i4"), 0x0D: numpy.dtype(">f4"), 0x0E: numpy.dtype(">f8")}
_GZIP_SIGNATURE = b"\x1f\x8b"
PathLike = Union[str, "os.PathLike[str]"]
#: the file names (each optionally ``.gz``) load_mnist looks for, by (split, kind)
MNIST_FILES = {(split, kind): tuple(f"{split}-{kind}{sep}idx{d}-ubyte" for sep in ("-", "."))
               for split in ("train", "t10k") for kind, d in (("images", 3), ("labels", 1))}


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_SIGNATURE:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as e:
        raise ValueError(f"{path}: damaged gzip file ({e}); download it again") from e


def read_idx(path: PathLike) -> numpy.ndarray:
    """Read one IDX file (plain or gzipped) into a native-endian NumPy array.

    Returns:
        A writable C-contiguous array whose dtype (uint8, int8, int16,
        int32, float32, float64; native byte order) and shape come from the
        header.

    Raises:
        ValueError naming the file: not an IDX file (header too short,
        first two bytes not zero, unknown type code), or a data size that
        disagrees with the header (truncated file or trailing bytes).

    The header is two zero bytes, a type code (0x08 = uint8), the number of
    dimensions, then each dimension as a big-endian int32:

    >>> import os, tempfile
    >>> from xpnet.data import read_idx
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "tiny-idx1-ubyte")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]))
    >>> read_idx(path)
    array([7, 8, 9], dtype=uint8)
    >>> tmp.cleanup()
    """
    path = os.fspath(os.path.expanduser(path))
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: not an IDX file: it has {len(raw)} bytes, fewer than "
                         f"the 4-byte magic number")
    magic = int.from_bytes(raw[:4], "big")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_DTYPES:
        codes = ", ".join(f"0x{c:02X} {d.name}" for c, d in IDX_DTYPES.items())
        raise ValueError(f"{path}: not an IDX file: magic number 0x{magic:08X}; an IDX "
                         f"file starts with 0x00 0x00, a type code ({codes}) and the "
                         f"number of dimensions")
    dtype, ndim = IDX_DTYPES[raw[2]], raw[3]
    start = 4 + 4 * ndim
    if len(raw) < start:
        raise ValueError(f"{path}: truncated IDX header: magic 0x{magic:08X} announces "
                         f"{ndim} dimensions ({start} header bytes); the file has "
                         f"{len(raw)} bytes")
    shape = tuple(int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    expected = math.prod(shape) * dtype.itemsize
    got = len(raw) - start
    if got != expected:
        what = "truncated" if got < expected else f"{got - expected} extra bytes after the data"
        raise ValueError(f"{path}: {what}: the header says shape {shape} of {dtype.name} "
                         f"= {expected} data bytes; the file has {got}")
    data = numpy.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize,
                            offset=start)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _find(root: str, names: Tuple[str, ...]) -> str:
    for name in names:
        for candidate in (name, name + ".gz"):
            p = os.path.join(root, candidate)
            if os.path.isfile(p):
                return p
    tried = ", ".join(f"{n}[.gz]" for n in names)
    raise FileNotFoundError(f"load_mnist(root={root!r}): found none of {tried} in that "
                            f"folder; download the MNIST files there first (xpnet does "
                            f"not download)")


def load_mnist(root: PathLike, train: bool = True) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Load MNIST (or any dataset in its four-file layout) from the folder ``root``.

    Reads ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte``
    (``train=True``) or ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte`` (``train=False``), each optionally ``.gz``
    (the variant with ``.idx3-ubyte`` after a dot is accepted too).

    Returns:
        ``(images, labels)``: ``images`` uint8 of shape ``(N, 1, H, W)``
        (N, C, H, W; 28x28 for MNIST), values 0..255 -- convert with
        ``images.astype(numpy.float32) / 255``; ``labels`` int64 of shape ``(N,)``.

    Raises:
        FileNotFoundError if ``root`` or a file is missing; ValueError if a
        file is not a valid IDX file, images are not 3-D uint8, labels not
        1-D uint8, or their counts differ.

    With two 2x2 images written as IDX files (see :func:`read_idx`):

    >>> import os, tempfile
    >>> from xpnet.data import load_mnist
    >>> tmp = tempfile.TemporaryDirectory()
    >>> for name, data in [("train-images-idx3-ubyte", [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, *range(8)]),
    ...                    ("train-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 2, 3, 5])]:
    ...     with open(os.path.join(tmp.name, name), "wb") as f:
    ...         _ = f.write(bytes(data))
    >>> images, labels = load_mnist(tmp.name)
    >>> images.shape, images.dtype, labels.tolist()
    ((2, 1, 2, 2), dtype('uint8'), [3, 5])
    >>> tmp.cleanup()
    """
    if not is_bool(train):
        raise TypeError(f"load_mnist(train=...) must be a bool; got {train!r}")
    root = os.fspath(os.path.expanduser(root))
    if not os.path.isdir(root):
        raise FileNotFoundError(f"load_mnist(root={root!r}): no such folder")
    prefix = "train" if train else "t10k"
    images_path = _find(root, MNIST_FILES[prefix, "images"])
    labels_path = _find(root, MNIST_FILES[prefix, "labels"])
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != numpy.uint8 or images.ndim != 3:
        raise ValueError(f"{images_path}: MNIST images must be 3-D uint8 (N, H, W); got "
                         f"{images.ndim}-D {images.dtype} of shape {images.shape}")
    if labels.dtype != numpy.uint8 or labels.ndim != 1:
        raise ValueError(f"{labels_path}: MNIST labels must be 1-D uint8 (N,); got "
                         f"{labels.ndim}-D {labels.dtype} of shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{images_path} has {images.shape[0]} images but {labels_path} "
                         f"has {labels.shape[0]} labels; they must match")
    return images[:, None], labels.astype(numpy.int64)
