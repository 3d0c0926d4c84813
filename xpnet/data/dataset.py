"""Datasets: indexable collections of samples, kept on the host.

A dataset is anything with ``len(ds)`` and ``ds[i]`` (``0 <= i < len(ds)``)
returning one sample: a tuple of fields (e.g. ``(x_i, y_i)``) or a single
field.  :class:`Dataset` is the base class; :class:`TensorDataset` wraps
already-loaded arrays whose first axis is the sample axis.

Samples live on the host as NumPy arrays; :class:`xpnet.data.DataLoader`
moves each *batch* to the current backend with ``xpnet.tensor``, so a
dataset works unchanged on every backend.

>>> import numpy as np
>>> from xpnet.data import TensorDataset
>>> ds = TensorDataset(np.zeros((5, 3), np.float32), np.arange(5))
>>> len(ds), ds[2][1]
(5, np.int64(2))
>>> [a.shape for a in ds.get_batch(np.array([0, 4]))]
[(2, 3), (2,)]

See also: :class:`xpnet.data.DataLoader`, :func:`xpnet.data.train_test_split`.
"""
from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy

from ..host import to_host


def collate(samples: Sequence[Any]) -> Tuple[numpy.ndarray, ...]:
    """Stack a list of samples field by field into host arrays.

    Each sample is a tuple of fields (or one field, treated as a 1-tuple);
    field ``j`` of the result is ``numpy.stack([s[j] for s in samples])``, of
    shape ``(len(samples), *field_shape)``.  Python ints stack to int64 and
    Python floats to float64 (as ``torch`` ``default_collate``); Tensors are
    brought to the host first.

    >>> from xpnet.data import collate
    >>> x, y = collate([([1.0, 2.0], 0), ([3.0, 4.0], 1)])
    >>> x.shape, y.tolist(), y.dtype
    ((2, 2), [0, 1], dtype('int64'))
    """
    if len(samples) == 0:
        raise ValueError("collate(samples) needs at least one sample; got an empty list")
    rows = [s if isinstance(s, tuple) else (s,) for s in samples]
    width = len(rows[0])
    for k, r in enumerate(rows):
        if len(r) != width:
            raise ValueError(f"collate: every sample must have the same number of fields; "
                             f"sample 0 has {width}, sample {k} has {len(r)}")
    return tuple(numpy.stack([to_host(r[j], f"field {j} of a sample") for r in rows])
                 for j in range(width))


class Dataset:
    """Base class for map-style datasets: override ``__len__`` and ``__getitem__``.

    ``get_batch(indices)`` returns the samples at ``indices`` (a 1-D int64
    NumPy array) stacked field by field; the default calls ``__getitem__``
    once per index and :func:`collate`\\ s the results.  Subclasses that can
    index many samples at once (as :class:`TensorDataset`) override it.

    >>> import numpy as np
    >>> from xpnet.data import Dataset
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 10
    ...     def __getitem__(self, i):
    ...         return float(i), i * i
    >>> x, y = Squares().get_batch(np.array([2, 3]))
    >>> x.tolist(), y.tolist()
    ([2.0, 3.0], [4, 9])
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def get_batch(self, indices: numpy.ndarray) -> Tuple[numpy.ndarray, ...]:
        """Samples ``indices`` stacked field by field (one tuple entry per field).

        ``indices``: a 1-D integer NumPy array; each returned array has
        ``len(indices)`` as its first dimension.

        >>> import numpy as np
        >>> from xpnet.data import Dataset
        >>> class Pairs(Dataset):
        ...     def __len__(self): return 3
        ...     def __getitem__(self, i): return i, -i
        >>> Pairs().get_batch(np.array([0, 2]))
        (array([0, 2]), array([ 0, -2]))
        """
        return collate([self[int(i)] for i in indices])


class TensorDataset(Dataset):
    """A dataset of arrays that share their first (sample) dimension.

    ``TensorDataset(X, y)`` with ``X`` of shape ``(N, ...)`` and ``y`` of
    shape ``(N, ...)``: sample ``i`` is ``(X[i], y[i])``.  Inputs may be NumPy
    arrays, xpnet Tensors (copied to the host once, here) or nested lists;
    dtypes are kept.

    Raises ``ValueError`` if no array is given, an array is 0-d, or the
    first dimensions differ.

    >>> import numpy as np
    >>> from xpnet.data import TensorDataset
    >>> ds = TensorDataset(np.zeros((4, 3), np.float32), np.array([0, 1, 0, 1]))
    >>> len(ds), ds[1][0].shape, int(ds[1][1])
    (4, (3,), 1)
    """

    def __init__(self, *tensors: Any):
        if len(tensors) == 0:
            raise ValueError("TensorDataset(*tensors) needs at least one array; got none")
        arrays = tuple(to_host(t, f"tensors[{k}]") for k, t in enumerate(tensors))
        for k, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"tensors[{k}] must have a sample dimension (ndim >= 1); "
                                 f"got a 0-d array")
        n = arrays[0].shape[0]
        for k, a in enumerate(arrays):
            if a.shape[0] != n:
                shapes = ", ".join(str(b.shape) for b in arrays)
                raise ValueError(
                    f"TensorDataset: all tensors must have the same length (size of "
                    f"dimension 0); tensors[0] has {n} but tensors[{k}] has {a.shape[0]} "
                    f"(shapes {shapes})")
        self.tensors = arrays

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: Any) -> Tuple[numpy.ndarray, ...]:
        return tuple(a[index] for a in self.tensors)

    def get_batch(self, indices: numpy.ndarray) -> Tuple[numpy.ndarray, ...]:
        """Samples ``indices`` of every array: one fancy-indexing gather per array (no per-sample loop).

        >>> import numpy as np
        >>> from xpnet.data import TensorDataset
        >>> ds = TensorDataset(np.arange(10).reshape(5, 2), np.arange(5))
        >>> ds.get_batch(np.array([4, 0]))
        (array([[8, 9],
               [0, 1]]), array([4, 0]))
        """
        return tuple(a[indices] for a in self.tensors)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.tensors)
        return f"TensorDataset({shapes})"
