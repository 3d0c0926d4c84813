"""xpnet.data: datasets, batching, feature scaling, splitting and bundled data.

Everything here runs on the host with NumPy; :class:`DataLoader` moves each
batch to the current backend with ``xpnet.tensor``.

* :class:`Dataset`, :class:`TensorDataset` -- indexable samples.
* :class:`DataLoader` -- (shuffled) batches of Tensors; batch, mini-batch
  and stochastic gradient descent are this loader with ``batch_size=len(data)``,
  ``n`` or ``1``.
* :class:`StandardScaler`, :class:`MinMaxScaler` -- scikit-learn-style
  scalers for NumPy arrays and Tensors (fit on the training data only).
* :func:`train_test_split` -- random (optionally stratified) splits.
* :func:`load_digits` -- the 8x8 digits, shipped with xpnet.
* :func:`read_idx`, :func:`load_mnist` -- MNIST-format IDX files you have.
* :func:`load_dataset` -- a train/test set from an ``.npz`` or an MNIST-format folder.
"""
from .dataset import Dataset, TensorDataset, collate
from .digits import load_digits
from .files import load_dataset
from .idx import load_mnist, read_idx
from .loader import DataLoader
from .scalers import MinMaxScaler, StandardScaler
from .split import train_test_split

__all__ = [
    "Dataset",
    "TensorDataset",
    "collate",
    "DataLoader",
    "StandardScaler",
    "MinMaxScaler",
    "train_test_split",
    "load_digits",
    "read_idx",
    "load_mnist",
    "load_dataset",
]
