"""train_test_split: sizes (vs scikit-learn's rules), alignment, determinism, stratification."""

import numpy
import pytest

import xpnet
from xpnet.data import train_test_split
from xpnet.data.split import split_sizes


@pytest.mark.parametrize("n, test_size, train_size, expected", [
    (10, None, None, (7, 3)),      # default 0.25 -> ceil(2.5) = 3 test
    (10, 0.25, None, (7, 3)),
    (10, 4, None, (6, 4)),
    (10, None, 0.75, (7, 3)),      # floor(7.5) = 7 train, rest test
    (10, None, 6, (6, 4)),
    (10, 0.2, 0.5, (5, 2)),        # both given: 3 samples left out
    (7, 0.5, None, (3, 4)),
])
def test_sizes_follow_rules(n, test_size, train_size, expected):
    assert split_sizes(n, test_size, train_size) == expected


def test_sizes_agree_with_sklearn():
    sk = pytest.importorskip("sklearn.model_selection._split")
    for n in (5, 10, 33, 100):
        for test_size, train_size in [(None, None), (0.1, None), (0.33, None), (0.5, 0.3),
                                      (None, 0.6), (3, None), (None, 2), (2, 2)]:
            ref = sk._validate_shuffle_split(n, test_size, train_size, default_test_size=0.25)
            assert split_sizes(n, test_size, train_size) == tuple(ref), (n, test_size, train_size)


def test_split_is_a_partition_with_rows_aligned():
    X = numpy.arange(60).reshape(30, 2)
    y = numpy.arange(30)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=0)
    assert X_tr.shape == (24, 2) and X_te.shape == (6, 2)
    numpy.testing.assert_array_equal(X_tr[:, 0] // 2, y_tr)
    numpy.testing.assert_array_equal(X_te[:, 0] // 2, y_te)
    assert sorted(numpy.concatenate([y_tr, y_te]).tolist()) == list(range(30))
    assert not numpy.array_equal(y_tr, numpy.arange(24))  # shuffled


def test_determinism_by_seed_and_manual_seed():
    y = numpy.arange(50)
    a = train_test_split(y, seed=4)
    b = train_test_split(y, seed=4)
    c = train_test_split(y, seed=5)
    numpy.testing.assert_array_equal(a[1], b[1])
    assert not numpy.array_equal(a[1], c[1])
    xpnet.manual_seed(11)
    d = train_test_split(y)
    xpnet.manual_seed(11)
    numpy.testing.assert_array_equal(train_test_split(y)[1], d[1])


def test_no_shuffle_keeps_order():
    tr, te = train_test_split(numpy.arange(10), test_size=3, shuffle=False)
    assert tr.tolist() == list(range(7)) and te.tolist() == [7, 8, 9]


@pytest.mark.parametrize("seed", range(5))
def test_stratify_keeps_class_proportions(seed):
    counts = [50, 31, 12, 7]
    labels = numpy.repeat(numpy.arange(4), counts)
    rng = numpy.random.default_rng(seed)
    labels = labels[rng.permutation(len(labels))]
    N = len(labels)
    ids = numpy.arange(N)
    for test_size in (0.2, 0.33, 17):
        tr, te, ytr, yte = train_test_split(ids, labels, test_size=test_size, seed=seed,
                                            stratify=labels)
        n_train, n_test = split_sizes(N, test_size, None)
        assert len(te) == n_test and len(tr) == n_train
        numpy.testing.assert_array_equal(labels[te], yte)
        for c, nc in enumerate(counts):
            # quota n_test * N_c / N, rounded: never off by one sample or more
            assert abs((yte == c).sum() - n_test * nc / N) < 1
            assert abs((ytr == c).sum() - n_train * nc / N) < 1
        assert len(numpy.intersect1d(tr, te)) == 0


def test_stratify_exact_when_quotas_are_integers():
    labels = numpy.repeat([0, 1, 2], [50, 30, 20])
    _, yte = train_test_split(labels, test_size=0.2, seed=0, stratify=labels)
    assert numpy.bincount(yte).tolist() == [10, 6, 4]


def test_kinds_are_kept(backend_name):
    X = xpnet.tensor(numpy.arange(8, dtype=numpy.float32).reshape(4, 2))
    names = ["a", "b", "c", "d"]
    X_tr, X_te, n_tr, n_te = train_test_split(X, names, test_size=1, seed=0)
    assert isinstance(X_tr, xpnet.Tensor) and X_tr.backend.name == backend_name
    assert X_tr.shape == (3, 2) and X_tr.dtype == numpy.float32
    assert isinstance(n_tr, list) and len(n_te) == 1
    assert [names.index(s) for s in n_te] == (X_te.numpy()[:, 0] // 2).astype(int).tolist()


@pytest.mark.parametrize("kwargs, err, msg", [
    (dict(test_size=0.0), ValueError, r"test_size as a float must be in the open interval \(0, 1\); got 0.0"),
    (dict(test_size=1.0), ValueError, r"test_size as a float .* got 1.0"),
    (dict(test_size=-0.5), ValueError, r"test_size .* got -0.5"),
    (dict(test_size=0), ValueError, r"test_size as an int must be in \[1, n_samples - 1\] = \[1, 9\].*got 0"),
    (dict(test_size=10), ValueError, r"test_size as an int .* got 10"),
    (dict(test_size="0.2"), TypeError, r"test_size must be .* got '0.2'"),
    (dict(train_size=True), TypeError, r"train_size must be .* got True"),
    (dict(test_size=0.6, train_size=0.6), ValueError, "must not exceed n_samples = 10"),
    (dict(shuffle=False, stratify=[0, 1] * 5), ValueError, "stratify requires shuffle=True"),
    (dict(stratify=[0] * 9 + [1]), ValueError, "at least 2 samples; class 1 has 1"),
    (dict(stratify=[0, 1] * 5, test_size=1), ValueError, "n_test=1 must be at least the number of classes, 2"),
    (dict(stratify=[0, 1]), ValueError, r"stratify must be 1-D .* \(10,\); got shape \(2,\)"),
    (dict(seed=-2), ValueError, "seed must be an int >= 0; got -2"),
])
def test_bad_arguments(kwargs, err, msg):
    with pytest.raises(err, match=msg):
        train_test_split(numpy.arange(10), **kwargs)


def test_mismatched_lengths_and_no_arrays():
    with pytest.raises(ValueError, match=r"same length; got lengths \[10, 9\]"):
        train_test_split(numpy.arange(10), numpy.arange(9))
    with pytest.raises(ValueError, match="at least one array"):
        train_test_split()
