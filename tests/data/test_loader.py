"""DataLoader: batch counts, coverage, shuffling, backends, and the batch/mini-batch/SGD identity."""
import math

import numpy
import pytest

import xpnet
from tolerances import assert_close
from xpnet.data import DataLoader, Dataset, TensorDataset


def ids_dataset(n):
    """Sample i is (features [i, -i] float32, label i int64): ids are recoverable from a batch."""
    ids = numpy.arange(n)
    return TensorDataset(numpy.stack([ids, -ids], 1).astype(numpy.float32), ids)


def epoch_ids(loader):
    """The label ids of one epoch, batch by batch (checks features stay aligned with labels)."""
    out = []
    for x, y in loader:
        x, y = x.numpy(), y.numpy()
        numpy.testing.assert_array_equal(x[:, 0], y)
        numpy.testing.assert_array_equal(x[:, 1], -y)
        out.append(y)
    return out


@pytest.mark.parametrize("n", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 12, 20])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_count_sizes_and_coverage(n, batch_size, drop_last):
    loader = DataLoader(ids_dataset(n), batch_size=batch_size, shuffle=True,
                        drop_last=drop_last, seed=1)
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(loader) == expected
    for _ in range(2):  # every epoch, not only the first
        batches = epoch_ids(loader)
        assert len(batches) == expected
        sizes = [len(b) for b in batches]
        assert all(s == batch_size for s in sizes[:-1])
        seen = numpy.concatenate(batches) if batches else numpy.array([], int)
        assert len(numpy.unique(seen)) == len(seen)  # no sample twice
        if drop_last:
            assert all(s == batch_size for s in sizes)
            assert len(seen) == (n // batch_size) * batch_size
        else:
            assert sorted(seen.tolist()) == list(range(n))  # every sample once


def test_no_shuffle_is_dataset_order():
    batches = epoch_ids(DataLoader(ids_dataset(7), batch_size=3))
    assert [b.tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]


def test_same_seed_same_epochs_and_epochs_differ():
    a = DataLoader(ids_dataset(50), batch_size=8, shuffle=True, seed=123)
    b = DataLoader(ids_dataset(50), batch_size=8, shuffle=True, seed=123)
    ea = [numpy.concatenate(epoch_ids(a)) for _ in range(3)]
    eb = [numpy.concatenate(epoch_ids(b)) for _ in range(3)]
    for x, y in zip(ea, eb):
        numpy.testing.assert_array_equal(x, y)
    # successive epochs are reshuffled (50! orders: equal by chance with prob ~1e-64)
    assert not numpy.array_equal(ea[0], ea[1]) and not numpy.array_equal(ea[1], ea[2])
    c = DataLoader(ids_dataset(50), batch_size=8, shuffle=True, seed=124)
    assert not numpy.array_equal(numpy.concatenate(epoch_ids(c)), ea[0])


def test_set_epoch_replays_that_epoch_of_an_uninterrupted_run():
    """A resumed run (or another data-parallel rank) sees the order of the epoch it asks for."""
    run = DataLoader(ids_dataset(40), batch_size=6, shuffle=True, seed=5)
    epochs = [numpy.concatenate(epoch_ids(run)) for _ in range(4)]
    resumed = DataLoader(ids_dataset(40), batch_size=6, shuffle=True, seed=5)
    resumed.set_epoch(2)
    numpy.testing.assert_array_equal(numpy.concatenate(epoch_ids(resumed)), epochs[2])
    numpy.testing.assert_array_equal(numpy.concatenate(epoch_ids(resumed)), epochs[3])
    numpy.testing.assert_array_equal(resumed.order(1), epochs[1])
    assert resumed.epoch == 4


@pytest.mark.parametrize("epoch, err", [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_set_epoch_rejects_bad_epochs_and_keeps_the_old_one(epoch, err):
    loader = DataLoader(ids_dataset(4), batch_size=2, shuffle=True, seed=0)
    with pytest.raises(err, match="epoch"):
        loader.set_epoch(epoch)
    assert loader.epoch == 0


def test_seed_none_follows_manual_seed():
    def first_epoch():
        return numpy.concatenate(epoch_ids(DataLoader(ids_dataset(30), batch_size=4,
                                                      shuffle=True)))
    xpnet.manual_seed(7)
    a = first_epoch()
    xpnet.manual_seed(7)
    b = first_epoch()
    numpy.testing.assert_array_equal(a, b)
    xpnet.manual_seed(8)
    assert not numpy.array_equal(first_epoch(), a)


def test_no_shuffle_does_not_consume_global_randomness():
    xpnet.manual_seed(3)
    DataLoader(ids_dataset(5), batch_size=2)
    after = xpnet.random.default_generator().random()
    xpnet.manual_seed(3)
    assert xpnet.random.default_generator().random() == after


def test_batch_minibatch_sgd_see_the_same_samples_and_average_to_the_same_gradient():
    """Full batch, mini-batch and SGD are one loader with batch_size = N, n, 1.

    Each sees every sample exactly once per epoch, so the N-weighted average
    of per-batch mean-squared-error gradients (at fixed w) equals the full
    batch gradient: closed form grad = 2/N * X^T (X w - y).
    """
    rng = numpy.random.default_rng(0)
    N = 23
    X = rng.standard_normal((N, 3))
    y = rng.standard_normal(N)
    w = rng.standard_normal(3)
    full_grad = 2.0 / N * X.T @ (X @ w - y)
    ds = TensorDataset(X, y)
    for bs in (N, 5, 1):
        loader = DataLoader(ds, batch_size=bs, shuffle=True, seed=bs)
        assert len(loader) == math.ceil(N / bs)
        rows, acc = [], numpy.zeros(3)
        for xb, yb in loader:
            xb, yb = xb.numpy(), yb.numpy()
            acc += len(yb) * (2.0 / len(yb) * xb.T @ (xb @ w - yb))
            rows.append(numpy.column_stack([xb, yb]))
        seen = numpy.concatenate(rows)
        numpy.testing.assert_array_equal(seen[numpy.lexsort(seen.T)],
                                         numpy.column_stack([X, y])[numpy.lexsort(
                                             numpy.column_stack([X, y]).T)])
        assert_close(acc / N, full_grad)


def test_batches_are_tensors_on_the_current_backend(backend_name):
    ds = TensorDataset(numpy.ones((5, 2), numpy.float32), numpy.arange(5))
    batches = list(DataLoader(ds, batch_size=2, shuffle=True, seed=0))
    assert len(batches) == 3
    for xb, yb in batches:
        assert isinstance(xb, xpnet.Tensor) and isinstance(yb, xpnet.Tensor)
        assert xb.backend.name == backend_name == yb.backend.name
        assert xb.dtype == numpy.float32 and yb.dtype == numpy.int64
        assert xb.shape[1:] == (2,)


class RowDataset(Dataset):
    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.X[i], self.y[i]


class NoPerItemTensorDataset(TensorDataset):
    def __getitem__(self, i):
        raise AssertionError("the loader must gather TensorDataset batches in one call")


def test_tensor_dataset_is_batched_vectorized_and_matches_per_sample_path():
    X = numpy.arange(40, dtype=numpy.float32).reshape(20, 2)
    y = numpy.arange(20)
    fast = DataLoader(NoPerItemTensorDataset(X, y), batch_size=6, shuffle=True, seed=5)
    slow = DataLoader(RowDataset(X, y), batch_size=6, shuffle=True, seed=5)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        numpy.testing.assert_array_equal(xf.numpy(), xs.numpy())
        numpy.testing.assert_array_equal(yf.numpy(), ys.numpy())


def test_plain_sequence_dataset_and_single_field_samples():
    batches = list(DataLoader([numpy.float32(i) for i in range(5)], batch_size=2))
    assert [tuple(b[0].numpy().tolist()) for b in batches] == [(0, 1), (2, 3), (4,)]
    assert all(len(b) == 1 for b in batches)


@pytest.mark.parametrize("kwargs, err, msg", [
    (dict(batch_size=0), ValueError, r"batch_size must be an int >= 1; got 0"),
    (dict(batch_size=-3), ValueError, r"batch_size must be an int >= 1; got -3"),
    (dict(batch_size=2.0), TypeError, r"batch_size must be an int >= 1; got 2.0"),
    (dict(batch_size=True), TypeError, r"batch_size must be an int >= 1; got True"),
    (dict(shuffle="yes"), TypeError, r"shuffle must be a bool; got 'yes'"),
    (dict(drop_last=1), TypeError, r"drop_last must be a bool; got 1"),
    (dict(seed=-1), ValueError, r"seed must be an int >= 0; got -1"),
])
def test_bad_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        DataLoader(ids_dataset(4), **kwargs)


def test_not_a_dataset():
    with pytest.raises(TypeError, match="dataset must have __len__ and __getitem__.*int"):
        DataLoader(5)
