"""Load a train/test data set from a file you have: an ``.npz`` or an MNIST-format IDX folder.

``load_dataset(path)`` accepts

* an ``.npz`` file (``numpy.savez`` / ``savez_compressed``) holding exactly
  the arrays ``x_train``, ``y_train``, ``x_test``, ``y_test``: features
  ``(N, F)`` flat, ``(N, H, W)`` images or ``(N, C, H, W)`` images of
  numbers (bool, integer or float, all finite) and labels ``(N,)`` of
  non-negative integers (an integer dtype, or floats with whole values);
* a folder holding the four MNIST files ``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
  ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``; read with
  :func:`~xpnet.data.load_mnist`), or the path of one of those files (its
  folder is used).

It returns host NumPy arrays ``(x_train, y_train, x_test, y_test)``: features
float32 with the raw data's values (MNIST stays 0..255: scale them yourself,
e.g. with a :class:`~xpnet.data.StandardScaler` fitted on ``x_train``);
``(N, H, W)`` images gain a channel axis, ``(N, 1, H, W)``, as from
:func:`~xpnet.data.load_mnist`, so a ``Conv2d`` takes them as they are;
labels int64 ``(N,)``.

Every problem is a ``ValueError`` naming the file and what is wrong (a
damaged or truncated zip or gzip, a bad IDX magic number, a missing or
extra array, mismatched lengths or shapes, negative or fractional labels,
NaN/inf features) and a path that does not exist a ``FileNotFoundError``;
nothing is modified or returned half-loaded.  An ``.npz`` member is read
whole, so its zip CRC-32 is checked: a flipped byte is an error, not
silently different data.

>>> import numpy, tempfile, os
>>> from xpnet.data import load_dataset
>>> path = os.path.join(tempfile.mkdtemp(), "toy.npz")
>>> numpy.savez(path, x_train=numpy.zeros((4, 3)), y_train=numpy.arange(4),
...             x_test=numpy.ones((2, 3)), y_test=numpy.array([0, 1]))
>>> x_train, y_train, x_test, y_test = load_dataset(path)
>>> x_train.dtype, x_train.shape, y_test.dtype
(dtype('float32'), (4, 3), dtype('int64'))

See also: :func:`xpnet.data.load_digits` (shipped with xpnet),
:func:`xpnet.data.read_idx`.
"""
from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from typing import Dict, Tuple

import numpy

from .._checkpoint_npz import read_npy_header
from .idx import MNIST_FILES, PathLike, load_mnist

KEYS = ("x_train", "y_train", "x_test", "y_test")
#: file names (without ``.gz``) of an MNIST-format folder, as load_mnist looks for them
IDX_NAMES = tuple(name for names in MNIST_FILES.values() for name in names)
# what reading a damaged zip member can raise (zipfile, zlib, numpy's .npy header parser)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
               NotImplementedError, RuntimeError, UnicodeDecodeError, struct.error,
               MemoryError, OverflowError)
Arrays = Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray, numpy.ndarray]


def load_dataset(path: PathLike) -> Arrays:
    """``(x_train, y_train, x_test, y_test)`` from an ``.npz`` file or an MNIST-format folder.

    Args:
        path: an ``.npz`` file, a folder with the four MNIST IDX files, or
            one of those files (``~`` is expanded).

    Returns:
        Features float32 ``(N, F)`` or ``(N, C, H, W)`` (3-D images get
        ``C = 1``) with the raw values, labels int64 ``(N,)``; fresh
        writable host arrays.

    Raises:
        FileNotFoundError: ``path`` does not exist (or the folder lacks an
            MNIST file).
        ValueError: anything wrong with the contents (see the module doc).
        TypeError: ``path`` is not a str or os.PathLike.

    Example (an ``.npz`` written by NumPy; ``xpnet train --data PATH`` reads it the same way):

    >>> import os, tempfile, numpy as np
    >>> from xpnet.data import load_dataset
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.npz")
    >>> np.savez(path, x_train=np.zeros((6, 4)), y_train=np.arange(6) % 2,
    ...          x_test=np.ones((2, 4)), y_test=np.array([0, 1]))
    >>> x_tr, y_tr, x_te, y_te = load_dataset(path)
    >>> x_tr.shape, x_tr.dtype, y_te.dtype
    ((6, 4), dtype('float32'), dtype('int64'))
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_dataset(path=...) must be a str or os.PathLike; got "
                        f"{type(path).__name__} {path!r}")
    path = os.fspath(os.path.expanduser(path))
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_dataset: {path!r} does not exist; pass an .npz file "
                                f"or a folder with the four MNIST IDX files")
    if os.path.isdir(path):
        return _load_idx_folder(path)
    if not os.path.isfile(path):  # reading a FIFO with no writer would hang
        raise ValueError(f"load_dataset: {path!r} is not a regular file or a folder (a FIFO "
                         f"or device?); pass an .npz file or a folder of MNIST IDX files")
    name = os.path.basename(path)
    if name.endswith(".gz"):
        name = name[:-3]
    if name in IDX_NAMES:
        return _load_idx_folder(os.path.dirname(path) or ".")
    if path.lower().endswith(".npz"):
        return _load_npz(path)
    raise ValueError(f"load_dataset: {path!r} is neither an .npz file nor an MNIST IDX file "
                     f"({', '.join(IDX_NAMES[::2])}, optionally .gz) nor a folder of them")


def _load_idx_folder(folder: str) -> Arrays:
    x_train, y_train = load_mnist(folder, train=True)
    x_test, y_test = load_mnist(folder, train=False)
    return _validated(folder, dict(x_train=x_train, y_train=y_train, x_test=x_test,
                                   y_test=y_test))


def _read_npz(path: str) -> Dict[str, numpy.ndarray]:
    """Every member of the zip as an array, each read whole (CRC-checked), no pickles."""
    arrays = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for member in zf.namelist():
                raw = io.BytesIO(zf.read(member))
                key = member[:-4] if member.endswith(".npy") else member
                _check_claimed_size(raw, member)
                arrays[key] = numpy.lib.format.read_array(raw, allow_pickle=False)
                if raw.tell() != len(raw.getbuffer()):
                    raise ValueError(f"member {member!r} has "
                                     f"{len(raw.getbuffer()) - raw.tell()} bytes after its data")
    except _ZIP_ERRORS as e:
        raise ValueError(f"{path}: not a readable .npz file ({type(e).__name__}: {e}); "
                         f"write it again with numpy.savez") from e
    return arrays


def _check_claimed_size(raw: io.BytesIO, member: str) -> None:
    """Refuse a ``.npy`` header whose shape needs more bytes than the member holds, before
    NumPy allocates that shape (a 1 KiB file could otherwise ask for terabytes)."""
    _, header = read_npy_header(raw)
    if header is not None:  # version 3.0 (utf-8 field names) is left to NumPy
        shape, _, dtype, nbytes = header
        held = len(raw.getbuffer()) - raw.tell()
        if nbytes > held:
            raise ValueError(f"member {member!r} claims shape {shape} of {dtype} "
                             f"({nbytes} bytes) but holds {held} bytes of data")
    raw.seek(0)


def _load_npz(path: str) -> Arrays:
    arrays = _read_npz(path)
    extra = sorted(set(arrays) - set(KEYS))
    missing = [k for k in KEYS if k not in arrays]
    if extra or missing:
        raise ValueError(f"{path}: an .npz data set holds exactly the arrays {', '.join(KEYS)}; "
                         f"missing: {missing or 'none'}, extra: {extra or 'none'}")
    return _validated(path, arrays)


def _features(source: str, key: str, x: numpy.ndarray) -> numpy.ndarray:
    if x.dtype.kind not in "biuf":
        raise ValueError(f"{source}: {key} must hold numbers (bool, int or float); got dtype "
                         f"{x.dtype}")
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"{source}: {key} must be (N, F), (N, H, W) or (N, C, H, W); got "
                         f"shape {x.shape}")
    with numpy.errstate(over="ignore", invalid="ignore"):
        out = x.astype(numpy.float32)
    bad = numpy.size(out) - numpy.count_nonzero(numpy.isfinite(out))
    if bad:
        raise ValueError(f"{source}: {key} must be finite float32 numbers; {bad} of its "
                         f"{out.size} values are NaN, infinite or beyond float32's range")
    return out[:, None] if out.ndim == 3 else out


def _labels(source: str, key: str, y: numpy.ndarray) -> numpy.ndarray:
    if y.ndim != 1:
        raise ValueError(f"{source}: {key} must be 1-D (N,) class indices; got shape {y.shape}")
    if y.dtype.kind == "f":
        if not numpy.all(numpy.isfinite(y) & (y == numpy.round(y))):
            raise ValueError(f"{source}: {key} must be whole numbers (class indices); it "
                             f"holds fractional, NaN or infinite values")
    elif y.dtype.kind not in "iu":
        raise ValueError(f"{source}: {key} must be integer class indices; got dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() > numpy.iinfo(numpy.int64).max):
        raise ValueError(f"{source}: {key} must be non-negative class indices; got values "
                         f"from {y.min()} to {y.max()}")
    return y.astype(numpy.int64)


def _validated(source: str, arrays: Dict[str, numpy.ndarray]) -> Arrays:
    """Check the four arrays against each other and convert them (float32 / int64)."""
    x_train, x_test = (_features(source, k, arrays[k]) for k in ("x_train", "x_test"))
    y_train, y_test = (_labels(source, k, arrays[k]) for k in ("y_train", "y_test"))
    for split, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if len(x) != len(y):
            raise ValueError(f"{source}: x_{split} has {len(x)} samples but y_{split} has "
                             f"{len(y)} labels; they must match")
        if len(x) == 0:
            raise ValueError(f"{source}: x_{split} is empty; the {split} split needs samples")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(f"{source}: train and test samples must have one shape; x_train is "
                         f"{x_train.shape} and x_test {x_test.shape}")
    return x_train, y_train, x_test, y_test
