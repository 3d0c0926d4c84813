"""train_test_split: split arrays into random train and test subsets (scikit-learn's rules).

Sizes, with ``N`` samples: a float ``test_size`` in (0, 1) means
``n_test = ceil(test_size * N)``, an int means exactly that many; a float
``train_size`` means ``n_train = floor(train_size * N)``.  When one of them
is None it is the complement of the other; when both are None,
``test_size = 0.25``.  ``n_train + n_test`` may be less than ``N`` (the rest
is left out) but not more.

Without ``stratify`` the samples are a random permutation cut in two (test
first, then train, as ``sklearn.model_selection.ShuffleSplit``); with
``shuffle=False`` the first ``n_train`` samples are the train set and the
next ``n_test`` the test set.  With ``stratify=labels`` each class ``c`` with
``N_c`` samples gets ``n_test * N_c / N`` test samples rounded by largest
remainder (ties broken at random), so class proportions in train and test
match those of the whole within one sample per class.

Returns ``[a_train, a_test, b_train, b_test, ...]`` in the order of
``arrays``, each of the kind given: NumPy arrays for NumPy arrays, Tensors
(on their own backend, without gradient history) for Tensors, lists for
lists.

>>> import numpy as np
>>> from xpnet.data import train_test_split
>>> X, y = np.arange(20).reshape(10, 2), np.arange(10)
>>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, seed=0)
>>> len(y_tr), len(y_te), sorted(np.concatenate([y_tr, y_te])) == list(range(10))
(7, 3, True)

See also: ``sklearn.model_selection.train_test_split``; fit scalers on the
train part only (:class:`xpnet.data.StandardScaler`).
"""
from __future__ import annotations

import math
from typing import Any, List, Optional, Tuple

import numpy

from ..dtypes import is_bool
from ..host import check_int, like, to_host
from ..random import make_rng


def _check_size(value: Any, name: str, n: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, numpy.integer,
                                                         numpy.floating)):
        raise TypeError(f"{name} must be a float in (0, 1), an int in [1, {n - 1}] or "
                        f"None; got {value!r} of type {type(value).__name__}")
    if isinstance(value, (float, numpy.floating)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} as a float must be in the open interval (0, 1); "
                             f"got {value!r}")
    elif not 1 <= value < n:
        raise ValueError(f"{name} as an int must be in [1, n_samples - 1] = [1, {n - 1}] "
                         f"(n_samples = {n}); got {value!r}")


def split_sizes(n: int, test_size: Any = None, train_size: Any = None) -> Tuple[int, int]:
    """``(n_train, n_test)`` for ``n`` samples, by the rules in the module docstring."""
    _check_size(test_size, "test_size", n)
    _check_size(train_size, "train_size", n)
    if test_size is None and train_size is None:
        test_size = 0.25
    n_test = (math.ceil(test_size * n) if isinstance(test_size, (float, numpy.floating))
              else test_size)
    n_train = (math.floor(train_size * n) if isinstance(train_size, (float, numpy.floating))
               else train_size)
    if n_train is None:
        n_train = n - n_test
    if n_test is None:
        n_test = n - n_train
    n_train, n_test = int(n_train), int(n_test)
    if n_train + n_test > n:
        raise ValueError(f"train_size + test_size must not exceed n_samples = {n}; got "
                         f"train_size={train_size!r} -> {n_train} and test_size="
                         f"{test_size!r} -> {n_test} samples")
    if n_train < 1 or n_test < 1:
        raise ValueError(f"with n_samples={n}, test_size={test_size!r} and train_size="
                         f"{train_size!r} one of the sets would be empty (n_train="
                         f"{n_train}, n_test={n_test}); adjust the sizes")
    return n_train, n_test


def _largest_remainder(counts: numpy.ndarray, total: int,
                       rng: numpy.random.Generator) -> numpy.ndarray:
    """Integers ``k_c <= counts_c`` summing to ``total``, each within 1 of ``total*counts_c/N``.

    Exact integer arithmetic: floor of the quota, then one more for the
    ``total - sum(floor)`` classes with the largest remainders (ties at random).
    """
    n = int(counts.sum())
    base, remainder = numpy.divmod(counts * total, n)
    missing = total - int(base.sum())
    tiebreak = rng.permutation(len(counts))
    order = tiebreak[numpy.argsort(-remainder[tiebreak], kind="stable")]
    base[order[:missing]] += 1
    return base


def _stratified_indices(labels: numpy.ndarray, n_train: int, n_test: int,
                        rng: numpy.random.Generator) -> Tuple[numpy.ndarray, numpy.ndarray]:
    classes, y = numpy.unique(labels, return_inverse=True)
    counts = numpy.bincount(y, minlength=len(classes)).astype(numpy.int64)
    if counts.min() < 2:
        raise ValueError(f"stratify: every class needs at least 2 samples; class "
                         f"{classes[counts.argmin()].item()!r} has {int(counts.min())}")
    for name, k in (("n_test", n_test), ("n_train", n_train)):
        if k < len(classes):
            raise ValueError(f"stratify: {name}={k} must be at least the number of "
                             f"classes, {len(classes)}")
    k_test = _largest_remainder(counts, n_test, rng)
    k_train = _largest_remainder(counts - k_test, n_train, rng)
    train, test = [], []
    for c in range(len(classes)):
        members = rng.permutation(numpy.flatnonzero(y == c))
        test.append(members[:k_test[c]])
        train.append(members[k_test[c]:k_test[c] + k_train[c]])
    return rng.permutation(numpy.concatenate(train)), rng.permutation(numpy.concatenate(test))


def _take(a: Any, host: Optional[numpy.ndarray], idx: numpy.ndarray) -> Any:
    if host is None:  # a list or tuple: keep it a list
        return [a[int(i)] for i in idx]
    return like(a, host[idx])


def train_test_split(*arrays: Any, test_size: Any = None, train_size: Any = None,
                     shuffle: bool = True, seed: Optional[int] = None,
                     stratify: Any = None) -> List[Any]:
    """Split ``arrays`` (same first dimension) into train and test parts.

    Args:
        *arrays: NumPy arrays, xpnet Tensors or lists, all of length ``N``.
        test_size: float in (0, 1), int in [1, N-1], or None (0.25, or the
            complement of ``train_size`` if that is given).
        train_size: float in (0, 1), int in [1, N-1], or None (the complement
            of the test size).
        shuffle: shuffle before splitting (required with ``stratify``).
        seed: non-negative int, or None to draw one from
            ``xpnet.random.default_generator()``.
        stratify: labels of length ``N`` whose class proportions both parts keep.

    Returns:
        ``[a_train, a_test, b_train, b_test, ...]``.

    >>> import numpy as np
    >>> from xpnet.data import train_test_split
    >>> X, y = np.arange(20).reshape(10, 2), np.array([0, 1] * 5)
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=0, stratify=y)
    >>> X_tr.shape, X_te.shape, sorted(y_te.tolist())
    ((8, 2), (2, 2), [0, 1])
    """
    if len(arrays) == 0:
        raise ValueError("train_test_split(*arrays) needs at least one array; got none")
    hosts = [None if isinstance(a, (list, tuple)) else to_host(a, f"arrays[{k}]")
             for k, a in enumerate(arrays)]
    lengths = []
    for k, (a, h) in enumerate(zip(arrays, hosts)):
        if h is not None and h.ndim == 0:
            raise ValueError(f"arrays[{k}] must have a sample dimension (ndim >= 1); "
                             f"got a 0-d array")
        lengths.append(len(a) if h is None else h.shape[0])
    if len(set(lengths)) != 1:
        raise ValueError(f"train_test_split: all arrays must have the same length; got "
                         f"lengths {lengths}")
    n = lengths[0]
    if not is_bool(shuffle):
        raise TypeError(f"shuffle must be a bool; got {shuffle!r}")
    if seed is not None:
        check_int(seed, "seed", 0)
    labels = None
    if stratify is not None:
        if not shuffle:
            raise ValueError("stratify requires shuffle=True; got shuffle=False with a "
                             "stratify array")
        labels = to_host(stratify, "stratify")
        if labels.shape[:1] != (n,) or labels.ndim != 1:
            raise ValueError(f"stratify must be 1-D with one label per sample, shape "
                             f"({n},); got shape {labels.shape}")
    n_train, n_test = split_sizes(n, test_size, train_size)
    rng = make_rng(seed) if shuffle else None
    if labels is not None:
        train, test = _stratified_indices(labels, n_train, n_test, rng)
    elif shuffle:
        perm = rng.permutation(n)
        test, train = perm[:n_test], perm[n_test:n_test + n_train]
    else:
        train, test = numpy.arange(n_train), numpy.arange(n_train, n_train + n_test)
    out = []
    for a, h in zip(arrays, hosts):
        out += [_take(a, h, train), _take(a, h, test)]
    return out
