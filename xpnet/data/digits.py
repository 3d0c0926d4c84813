"""The 8x8 handwritten digits dataset, shipped with xpnet (no download).

1797 grayscale images of the digits 0-9 (about 180 per class), each 8x8
pixels with integer values 0..16: the number of "on" pixels in a 4x4 block
of a 32x32 binary bitmap.  It is small enough to train a classifier in
seconds on a CPU, which makes it our smoke test and tutorial dataset.

Origin and license: the data is the test set of the UCI Machine Learning
Repository's "Optical Recognition of Handwritten Digits" dataset (E.
Alpaydin and C. Kaynak, 1998,
https://archive.ics.uci.edu/ml/datasets/Optical+Recognition+of+Handwritten+Digits;
UCI lists it under CC BY 4.0).  The file ``xpnet/data/digits.csv.gz`` is an
unchanged copy of scikit-learn 1.9.1's ``sklearn/datasets/data/digits.csv.gz``
(scikit-learn: BSD-3-Clause, Copyright (c) 2007-2026 The scikit-learn
developers).  Format: 1797 lines, 65 comma-separated integers each, the 64
pixels in row-major order followed by the label.

>>> from xpnet.data import load_digits
>>> X, y = load_digits()
>>> X.shape, X.dtype, y.shape, y.dtype
((1797, 64), dtype('float32'), (1797,), dtype('int64'))
>>> images, y = load_digits(return_images=True)
>>> images.shape
(1797, 1, 8, 8)

See also: ``sklearn.datasets.load_digits``; :func:`xpnet.data.load_mnist`
for the 28x28 MNIST digits (files you download yourself).
"""
from __future__ import annotations

import functools
import gzip
import io
from importlib import resources
from typing import Tuple

import numpy

from ..dtypes import is_bool

N_SAMPLES, IMAGE_SIZE = 1797, 8
_FILE = "digits.csv.gz"


@functools.lru_cache(maxsize=1)
def _read() -> Tuple[numpy.ndarray, numpy.ndarray]:
    raw = resources.files(__package__).joinpath(_FILE).read_bytes()
    table = numpy.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",",
                          dtype=numpy.int64, ndmin=2)
    expected = (N_SAMPLES, IMAGE_SIZE * IMAGE_SIZE + 1)
    if table.shape != expected:
        raise ValueError(f"xpnet/data/{_FILE} is damaged: expected a table of shape "
                         f"{expected}; got {table.shape}. Reinstall xpnet")
    X, y = table[:, :-1].astype(numpy.float32), table[:, -1]
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def load_digits(return_images: bool = False) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Load the 8x8 digits: features or images, and labels.

    Args:
        return_images: if False, return ``X`` of shape ``(1797, 64)``; if
            True, return images of shape ``(1797, 1, 8, 8)`` (N, C, H, W),
            ready for ``Conv2d``.

    Returns:
        ``(X, y)``: ``X`` float32 with values 0..16 (scale it, e.g. ``X / 16``
        or a :class:`~xpnet.data.StandardScaler` fitted on the train split),
        ``y`` int64 labels 0..9, shape ``(1797,)``.  Fresh writable NumPy
        arrays (host); move them with ``xpnet.tensor`` or a ``DataLoader``.

    >>> from xpnet.data import load_digits
    >>> X, y = load_digits()
    >>> X.shape, X.dtype, y.shape, int(X.max()), sorted(set(y.tolist()))[:3]
    ((1797, 64), dtype('float32'), (1797,), 16, [0, 1, 2])
    >>> load_digits(return_images=True)[0].shape
    (1797, 1, 8, 8)
    """
    if not is_bool(return_images):
        raise TypeError(f"load_digits(return_images=...) must be a bool; "
                        f"got {return_images!r}")
    X, y = _read()
    X = X.copy()
    if return_images:
        X = X.reshape(N_SAMPLES, 1, IMAGE_SIZE, IMAGE_SIZE)
    return X, y.copy()
