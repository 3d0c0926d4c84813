"""Data-parallel training over MPI (NumPy arrays, ``mpi4py``) and NCCL (CuPy arrays).

Launch one process per core group or GPU with ``mpiexec -n R python script.py``
(or ``srun`` on a cluster); without a launcher a script is a world of one
process and needs nothing beyond xpnet.

>>> from xpnet import distributed as dist
>>> dist.setup()                      # (rank, world_size)
(0, 1)

* :mod:`~xpnet.distributed.comm`: ``init``, ``setup``, ``rank``, ``world_size``,
  ``is_main``, ``barrier``, ``all_reduce``, ``broadcast``;
* :class:`DistributedDataParallel`: averages gradients after ``backward()``;
* sharding: ``xpnet.data.DataLoader(..., num_replicas=world_size, rank=rank)``.
"""
from .comm import (all_reduce, barrier, broadcast, get_world, init, is_main, rank, setup,
                   shutdown, world_size)
from .communicator import Communicator, LocalCommunicator
from .ddp import DistributedDataParallel

__all__ = ["init", "setup", "shutdown", "get_world", "rank", "world_size", "is_main", "barrier",
           "all_reduce", "broadcast", "Communicator", "LocalCommunicator",
           "DistributedDataParallel"]
