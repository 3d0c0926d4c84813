"""TensorDataset and the per-sample Dataset path (collate)."""
import numpy
import pytest

import xpnet
from xpnet.data import Dataset, TensorDataset, collate


def test_tensor_dataset_indexes_every_array_by_first_dim():
    X = numpy.arange(24, dtype=numpy.float32).reshape(6, 2, 2)
    y = numpy.arange(6) * 10
    ds = TensorDataset(X, y)
    assert len(ds) == 6
    x3, y3 = ds[3]
    numpy.testing.assert_array_equal(x3, X[3])
    assert y3 == 30
    idx = numpy.array([5, 0, 3])
    xb, yb = ds.get_batch(idx)
    numpy.testing.assert_array_equal(xb, X[[5, 0, 3]])
    numpy.testing.assert_array_equal(yb, [50, 0, 30])
    assert xb.dtype == numpy.float32 and yb.dtype == y.dtype


def test_tensor_dataset_accepts_tensors_and_lists_keeping_dtypes():
    ds = TensorDataset(xpnet.tensor(numpy.ones((3, 2), numpy.float64)), [1, 2, 3])
    assert ds.tensors[0].dtype == numpy.float64
    assert isinstance(ds.tensors[0], numpy.ndarray)
    assert ds.tensors[1].tolist() == [1, 2, 3]


def test_tensor_dataset_length_mismatch_names_both_lengths():
    with pytest.raises(ValueError, match=r"same length.*tensors\[0\] has 4 but tensors\[1\] has 3"):
        TensorDataset(numpy.zeros((4, 2)), numpy.zeros(3))


@pytest.mark.parametrize("args, err, msg", [
    ((), ValueError, "at least one"),
    ((numpy.float32(1.0),), ValueError, r"tensors\[0\].*0-d"),
    ((object(),), TypeError, r"tensors\[0\] must be"),
])
def test_tensor_dataset_bad_input(args, err, msg):
    with pytest.raises(err, match=msg):
        TensorDataset(*args)


class Squares(Dataset):
    """A per-sample dataset: sample i is (float array [i, i*i], int label i % 3)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return numpy.array([i, i * i], numpy.float32), i % 3


def test_base_dataset_get_batch_collates_per_sample():
    xb, yb = Squares(5).get_batch(numpy.array([4, 1]))
    numpy.testing.assert_array_equal(xb, [[4, 16], [1, 1]])
    assert xb.dtype == numpy.float32
    numpy.testing.assert_array_equal(yb, [1, 1])
    assert yb.dtype == numpy.int64  # python ints stack to int64


def test_collate_wraps_single_fields_and_checks_widths():
    (b,) = collate([numpy.zeros(2), numpy.ones(2)])
    assert b.shape == (2, 2)
    with pytest.raises(ValueError, match="same number of fields; sample 0 has 2, sample 1 has 1"):
        collate([(1, 2), (3,)])
    with pytest.raises(ValueError, match="at least one sample"):
        collate([])


def test_base_dataset_requires_overrides():
    with pytest.raises(NotImplementedError):
        len(Dataset())
