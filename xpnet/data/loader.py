"""DataLoader: iterate over a dataset in (shuffled) batches of Tensors.

One epoch visits every sample exactly once (unless ``drop_last`` drops the
final short batch).  With ``N = len(dataset)`` and ``B = batch_size`` there
are ``ceil(N / B)`` batches per epoch, or ``floor(N / B)`` with
``drop_last=True``; ``len(loader)`` is that number.

Batch, mini-batch and stochastic gradient descent are the same loop over
this same loader; only ``batch_size`` differs:

* batch (full-batch) gradient descent: ``batch_size=len(data)``, one step per epoch;
* mini-batch gradient descent: ``batch_size=n`` (e.g. 64), ``ceil(N/n)`` steps per epoch;
* stochastic gradient descent: ``batch_size=1``, ``N`` steps per epoch.

In all three cases an epoch sees the same samples, each once.

Each batch is a tuple with one Tensor per dataset field, created on the
current backend with ``xpnet.tensor`` (dtypes kept: float32 stays float32,
int64 labels stay int64).  For a :class:`TensorDataset` a batch is gathered
with one fancy-indexing call per array from a host index array; for other
datasets the samples are fetched one by one and stacked.

Shuffling draws a fresh permutation of ``range(N)`` at the start of every
epoch from the loader's own ``numpy.random.Generator``, seeded with ``seed``
or, if ``seed`` is None, with a number drawn from
``xpnet.random.default_generator()`` when the loader is built (so
``xpnet.manual_seed`` makes the whole run reproducible).  Two loaders with
the same seed produce the same sequence of epochs; successive epochs of one
loader differ.

>>> import numpy as np, xpnet
>>> from xpnet.data import TensorDataset, DataLoader
>>> ds = TensorDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
>>> loader = DataLoader(ds, batch_size=2, shuffle=True, seed=0)
>>> len(loader)
3
>>> [tuple(y.shape) for x, y in loader]
[(2,), (2,), (1,)]

See also: :class:`xpnet.data.TensorDataset`, :func:`xpnet.data.train_test_split`.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional, Tuple

import numpy

from ..autograd import tensor
from ..host import check_int
from ..random import make_rng
from .dataset import Dataset, collate


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    Args:
        dataset: a :class:`Dataset` (or any object with ``__len__`` and
            ``__getitem__``).
        batch_size: samples per batch, an int >= 1.
        shuffle: reshuffle the sample order at the start of every epoch.
        drop_last: drop the final batch if it has fewer than ``batch_size``
            samples.
        seed: seed of the loader's shuffling generator (a non-negative int),
            or None to draw one from ``xpnet.random.default_generator()``.

    Yields:
        tuples of Tensors, one per dataset field, each of shape
        ``(b, *field_shape)`` with ``b = batch_size`` (or fewer for the last
        batch).
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: Optional[int] = None):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"dataset must have __len__ and __getitem__ (e.g. a "
                            f"TensorDataset); got {type(dataset).__name__}")
        batch_size = check_int(batch_size, "batch_size", 1)
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, numpy.bool_)):
                raise TypeError(f"{name} must be a bool; got {flag!r}")
        # Validate seed even when not shuffling, but only consume global
        # randomness when the generator is needed.
        if seed is not None:
            check_int(seed, "seed", 0)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.generator = make_rng(seed) if self.shuffle else None

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _order(self) -> numpy.ndarray:
        """This epoch's sample order (int64, host): a fresh permutation or 0..N-1."""
        n = len(self.dataset)
        if self.shuffle:
            return self.generator.permutation(n).astype(numpy.int64, copy=False)
        return numpy.arange(n, dtype=numpy.int64)

    def _fetch(self, indices: numpy.ndarray) -> Tuple[numpy.ndarray, ...]:
        if isinstance(self.dataset, Dataset):
            return self.dataset.get_batch(indices)
        return collate([self.dataset[int(i)] for i in indices])

    def __iter__(self) -> Iterator[Tuple[Any, ...]]:
        order = self._order()
        for b in range(len(self)):
            indices = order[b * self.batch_size:(b + 1) * self.batch_size]
            yield tuple(tensor(field) for field in self._fetch(indices))

    def __repr__(self) -> str:
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed})")
