"""load_digits: the bundled file, read independently with the csv module."""
import collections
import csv
import gzip
import io
from importlib import resources

import numpy
import pytest

from xpnet.data import load_digits


@pytest.fixture(scope="module")
def csv_rows():
    """The bundled file parsed with csv (independent of numpy.loadtxt in the module)."""
    raw = resources.files("xpnet.data").joinpath("digits.csv.gz").read_bytes()
    with io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(raw)), encoding="ascii") as f:
        return [[int(float(v)) for v in row] for row in csv.reader(f) if row]


def test_shapes_dtypes_and_values(csv_rows):
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == numpy.float32
    assert y.shape == (1797,) and y.dtype == numpy.int64
    assert X.min() == 0 and X.max() == 16
    numpy.testing.assert_array_equal(X, numpy.round(X))  # integer pixel counts
    assert sorted(set(y.tolist())) == list(range(10))
    numpy.testing.assert_array_equal(X, numpy.array([r[:64] for r in csv_rows]))
    numpy.testing.assert_array_equal(y, [r[64] for r in csv_rows])


def test_class_counts_are_those_of_the_file(csv_rows):
    _, y = load_digits()
    expected = collections.Counter(r[64] for r in csv_rows)
    assert len(csv_rows) == 1797 and sum(expected.values()) == 1797
    assert numpy.bincount(y, minlength=10).tolist() == [expected[c] for c in range(10)]
    assert all(170 <= expected[c] <= 190 for c in range(10))  # ~180 per class


def test_images_are_the_rows_reshaped_row_major():
    X, y = load_digits()
    images, y2 = load_digits(return_images=True)
    assert images.shape == (1797, 1, 8, 8) and images.dtype == numpy.float32
    numpy.testing.assert_array_equal(y, y2)
    for i in (0, 1000):
        for r in range(8):
            numpy.testing.assert_array_equal(images[i, 0, r], X[i, 8 * r:8 * r + 8])


def test_each_call_returns_fresh_writable_arrays():
    X, y = load_digits()
    X[:] = -1
    y[:] = -1
    X2, y2 = load_digits()
    assert X2.min() == 0 and y2.min() == 0


def test_matches_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_digits()
    X, y = load_digits()
    numpy.testing.assert_array_equal(X, ref.data)
    numpy.testing.assert_array_equal(y, ref.target)


def test_bad_argument():
    with pytest.raises(TypeError, match="return_images=...\\) must be a bool; got 'yes'"):
        load_digits(return_images="yes")
