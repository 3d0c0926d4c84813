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

Shuffling uses a permutation of ``range(N)`` that is a function of the
seed and the epoch number only: epoch ``e`` is ordered by
``numpy.random.default_rng([seed, e]).permutation(N)``.  The seed is
``seed`` or, if ``seed`` is None, a number drawn from
``xpnet.random.default_generator()`` when the loader is built (so
``xpnet.manual_seed`` makes the whole run reproducible).  Each pass over the
loader uses the next epoch number, starting from 0; :meth:`DataLoader.set_epoch`
chooses it (as ``torch.utils.data.DistributedSampler.set_epoch``), which is
what makes a resumed run or a data-parallel rank see exactly the order an
uninterrupted run would.  Two loaders with the same seed produce the same
sequence of epochs; successive epochs of one loader differ.

Data-parallel sharding (``num_replicas=R, rank=r``, as
``torch.utils.data.DistributedSampler``): ``batch_size`` is then the batch of
one rank, ``G = R * batch_size`` the global batch.  The epoch's order is cut
into global batches of ``G`` and rank ``r`` takes samples
``r*batch_size .. (r+1)*batch_size - 1`` of each, so the ranks' ``i``-th batches
are disjoint and together are exactly the ``i``-th batch of one loader with
``batch_size=G``.  Every rank has ``ceil(N / G)`` batches (``floor`` with
``drop_last``, which drops the short last global batch); without
``drop_last`` the short last global batch is padded with samples from the
start of the epoch's order up to a multiple of ``R`` (at most ``R - 1``
repeated samples, as ``DistributedSampler``) and split evenly.  Shuffling
ranks need one explicit ``seed``.

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
from ..dtypes import is_bool
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
        num_replicas: the number of data-parallel ranks sharing each global
            batch (None: 1, no sharding).
        rank: this loader's rank in ``0..num_replicas-1`` (None: 0).

    Yields:
        tuples of Tensors, one per dataset field, each of shape
        ``(b, *field_shape)`` with ``b = batch_size`` (or fewer for the last
        batch).

    >>> import numpy as np
    >>> from xpnet.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((7, 2), dtype=np.float32), np.arange(7))
    >>> loader = DataLoader(ds, batch_size=3, drop_last=True)   # floor(7 / 3) batches
    >>> len(loader), [y.numpy().tolist() for _, y in loader]
    (2, [[0, 1, 2], [3, 4, 5]])

    Rank 1 of 2 takes the second half of each global batch of ``2 * 2``; the
    short last one (``4, 5, 6``) is padded with sample 0:

    >>> rank1 = DataLoader(ds, batch_size=2, num_replicas=2, rank=1)
    >>> [y.numpy().tolist() for _, y in rank1]
    [[2, 3], [6, 0]]
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: Optional[int] = None,
                 num_replicas: Optional[int] = None, rank: Optional[int] = None):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"dataset must have __len__ and __getitem__ (e.g. a "
                            f"TensorDataset); got {type(dataset).__name__}")
        batch_size = check_int(batch_size, "batch_size", 1)
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not is_bool(flag):
                raise TypeError(f"{name} must be a bool; got {flag!r}")
        # Validate seed even when not shuffling, but only consume global
        # randomness when the generator is needed.
        seed_value = None if seed is None else check_int(seed, "seed", 0)
        num_replicas = 1 if num_replicas is None else check_int(num_replicas, "num_replicas", 1)
        rank = 0 if rank is None else check_int(rank, "rank", 0)
        if rank >= num_replicas:
            raise ValueError(f"rank must be in 0..num_replicas-1 = 0..{num_replicas - 1}; "
                             f"got rank={rank}")
        if num_replicas > 1 and shuffle and seed is None:
            raise ValueError(f"DataLoader(num_replicas={num_replicas}, shuffle=True) needs an "
                             f"explicit seed (every rank must shuffle alike); got seed=None")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.num_replicas, self.rank = num_replicas, rank
        # the base seed of every epoch's permutation (drawn once when seed is None)
        self.base_seed = (seed_value if seed_value is not None
                          else int(make_rng(None).integers(0, 2**63)) if self.shuffle else 0)
        self.epoch = 0  # the epoch number the next pass will use

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass over the loader epoch number ``epoch`` (an int >= 0).

        Its order is the one an uninterrupted run gives its ``epoch``-th pass
        (counting from 0); later passes count on from there.  ``fit`` calls
        ``set_epoch(e - 1)`` before epoch ``e``.

        >>> import numpy as np
        >>> from xpnet.data import TensorDataset
        >>> ds = TensorDataset(np.arange(5))
        >>> run = DataLoader(ds, batch_size=5, shuffle=True, seed=0)
        >>> [batch.numpy().tolist() for _ in range(2) for (batch,) in run]   # epochs 0, 1
        [[2, 4, 3, 0, 1], [1, 4, 3, 0, 2]]
        >>> resumed = DataLoader(ds, batch_size=5, shuffle=True, seed=0)
        >>> resumed.set_epoch(1)
        >>> [batch.numpy().tolist() for (batch,) in resumed]
        [[1, 4, 3, 0, 2]]
        """
        self.epoch = check_int(epoch, "epoch", 0)

    def __len__(self) -> int:
        n, global_batch = len(self.dataset), self.batch_size * self.num_replicas
        if self.drop_last:
            return n // global_batch
        return -(-n // global_batch)

    def order(self, epoch: int) -> numpy.ndarray:
        """The sample order of epoch number ``epoch``: an int64 NumPy array of shape ``(N,)``.

        With ``shuffle`` it is ``numpy.random.default_rng([base_seed,
        epoch]).permutation(N)``; without, ``0..N-1``.  It does not change
        which epoch the next pass uses.

        >>> import numpy as np
        >>> from xpnet.data import TensorDataset
        >>> ds = TensorDataset(np.arange(5))
        >>> DataLoader(ds, shuffle=True, seed=0).order(1), DataLoader(ds).order(1)
        (array([1, 4, 3, 0, 2]), array([0, 1, 2, 3, 4]))
        """
        n = len(self.dataset)
        if self.shuffle:
            rng = numpy.random.default_rng([self.base_seed, check_int(epoch, "epoch", 0)])
            return rng.permutation(n).astype(numpy.int64, copy=False)
        return numpy.arange(n, dtype=numpy.int64)

    def _fetch(self, indices: numpy.ndarray) -> Tuple[numpy.ndarray, ...]:
        if isinstance(self.dataset, Dataset):
            return self.dataset.get_batch(indices)
        return collate([self.dataset[int(i)] for i in indices])

    def batch_indices(self, order: numpy.ndarray, b: int) -> numpy.ndarray:
        """The indices of this rank's batch number ``b`` (0-based) of an epoch ordered by ``order``.

        Global batch ``b`` is ``order[b*G:(b+1)*G]`` (``G = num_replicas *
        batch_size``), padded from the start of ``order`` to a multiple of
        ``num_replicas`` if short; this rank gets its ``rank``-th equal share.

        >>> import numpy as np
        >>> from xpnet.data import TensorDataset
        >>> loader = DataLoader(TensorDataset(np.arange(5)), batch_size=2, num_replicas=2, rank=0)
        >>> order = loader.order(0)
        >>> loader.batch_indices(order, 0), loader.batch_indices(order, 1)   # [4] padded to [4, 0]
        (array([0, 1]), array([4]))
        """
        replicas, global_batch = self.num_replicas, self.batch_size * self.num_replicas
        indices = order[b * global_batch:(b + 1) * global_batch]
        if replicas == 1:
            return indices
        short = -len(indices) % replicas  # pad the last global batch to a multiple of R
        if short:
            indices = numpy.concatenate([indices, numpy.resize(order, short)])
        share = len(indices) // replicas
        return indices[self.rank * share:(self.rank + 1) * share]

    def __iter__(self) -> Iterator[Tuple[Any, ...]]:
        order = self.order(self.epoch)
        self.epoch += 1
        for b in range(len(self)):
            yield tuple(tensor(field) for field in self._fetch(self.batch_indices(order, b)))

    def __repr__(self) -> str:
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed}"
                + (f", num_replicas={self.num_replicas}, rank={self.rank})"
                   if self.num_replicas > 1 else ")"))
