"""The process group of a data-parallel job: ``init``, ``rank``, ``world_size``, collectives on Tensors.

Start the same script once per process with an MPI launcher
(``mpiexec -n 4 python train.py``, or ``srun`` on a Slurm cluster); each
process calls :func:`init` and learns its rank from MPI.  Without a launcher
(no MPI variables in the environment) the script is a world of one process
(:class:`~xpnet.distributed.communicator.LocalCommunicator`) and needs
nothing beyond xpnet: mpi4py is not even imported.

Under MPI, :func:`init` chooses the engine by backend: NCCL
(:class:`~xpnet.distributed.nccl.NCCLCommunicator`, one GPU per rank) for
``cupy``, MPI on host buffers (:class:`~xpnet.distributed.mpi.MPICommunicator`)
otherwise; and it makes an uncaught exception on any rank print that rank's
traceback and abort the whole job (non-zero exit, never a hang).

:func:`all_reduce` and :func:`broadcast` change the tensor in place (its
``data``), as ``torch.distributed``; every rank must call them in the same
order with tensors of the same shape and dtype.  They are not recorded by
autograd.

>>> import xpnet
>>> from xpnet import distributed as dist
>>> dist.init().world_size            # run without mpiexec
1
>>> t = xpnet.tensor([1.0, 2.0])
>>> dist.all_reduce(t, op="mean").numpy()
array([1., 2.], dtype=float32)

See also: :class:`~xpnet.distributed.ddp.DistributedDataParallel`.
"""
from __future__ import annotations

import os
from typing import Optional, Tuple

import numpy

from ..autograd import Tensor
from ..backend import get_backend
from ..dtypes import is_floating
from ..host import check_int
from .communicator import Communicator, LocalCommunicator
from .mpi import MPI_ENV_VARS, abort_on_uncaught_exception, launched_by_mpi

_world: Optional[Communicator] = None

REDUCE_OPS = ("sum", "mean")


def _launcher_world_size() -> int:
    """The world size the launcher announced (1 if it did not say)."""
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return 1


def _mpi_world(backend_name: str) -> Communicator:
    try:
        import mpi4py  # noqa: F401
    except ImportError as e:
        if _launcher_world_size() > 1:
            raise ImportError(
                f"an MPI launcher started {_launcher_world_size()} processes (one of "
                f"{', '.join(MPI_ENV_VARS)} is set) but mpi4py is not installed; install it "
                f"with: pip install 'xpnet[mpi]'") from e
        return LocalCommunicator()  # a lone process under a launcher, without MPI
    from mpi4py import MPI

    from .mpi import MPICommunicator
    world = MPICommunicator()
    abort_on_uncaught_exception(MPI.COMM_WORLD, world.rank)
    if backend_name == "cupy":
        from .nccl import NCCLCommunicator
        return NCCLCommunicator(world)
    return world


def init(backend: Optional[str] = None, communicator: Optional[Communicator] = None) -> Communicator:
    """Join the job's process group (once; later calls return the same group).

    Args:
        backend: the xpnet backend name whose arrays will be reduced (default:
            the current backend); ``"cupy"`` selects NCCL under MPI.
        communicator: use this :class:`Communicator` instead (e.g. one made
            for a test); replaces any group joined before.

    Returns:
        the :class:`Communicator` (``.rank``, ``.world_size``, ``.local_rank``).

    >>> from xpnet import distributed as dist
    >>> world = dist.init()               # no launcher: a world of one process
    >>> world, world.local_rank
    (LocalCommunicator(rank=0, world_size=1), 0)
    """
    global _world
    if communicator is not None:
        if not isinstance(communicator, Communicator):
            raise TypeError(f"init(communicator) must be a Communicator; got "
                            f"{type(communicator).__name__}")
        _world = communicator
    elif _world is None:
        if not (backend is None or isinstance(backend, str)):
            raise TypeError(f"init(backend) must be a backend name or None; got {backend!r}")
        _world = (_mpi_world(backend or get_backend().name) if launched_by_mpi()
                  else LocalCommunicator())
    return _world


def setup(backend: Optional[str] = None) -> Tuple[int, int]:
    """:func:`init`, then ``(rank, world_size)``: the one call a training script needs first.

    >>> from xpnet import distributed as dist
    >>> rank, world_size = dist.setup()
    >>> rank, world_size
    (0, 1)
    """
    world = init(backend)
    return world.rank, world.world_size


def shutdown() -> None:
    """Leave the process group (the next call of :func:`init` joins again); MPI itself stays up.

    >>> from xpnet import distributed as dist
    >>> first = dist.init()
    >>> dist.shutdown()
    >>> dist.init() is first              # a new group
    False
    """
    global _world
    _world = None


def get_world() -> Communicator:
    """The process group's :class:`Communicator` (joined by :func:`init` on first use).

    >>> from xpnet import distributed as dist
    >>> dist.get_world() is dist.init()
    True
    """
    return init()


def rank() -> int:
    """This process's rank, ``0..world_size()-1`` (0 without a launcher).

    >>> from xpnet import distributed as dist
    >>> f"log.rank{dist.rank()}.txt"
    'log.rank0.txt'
    """
    return get_world().rank


def world_size() -> int:
    """The number of processes in the job (1 without a launcher).

    >>> from xpnet import distributed as dist
    >>> global_batch = 64
    >>> global_batch // dist.world_size()     # each rank's DataLoader batch_size
    64
    """
    return get_world().world_size


def is_main() -> bool:
    """True on rank 0, the rank that prints, plots and writes checkpoints.

    >>> from xpnet import distributed as dist
    >>> if dist.is_main():
    ...     print("only rank 0 prints this")
    only rank 0 prints this
    """
    return get_world().rank == 0


def barrier() -> None:
    """Wait until every rank has called ``barrier()``.

    >>> from xpnet import distributed as dist
    >>> dist.barrier()          # e.g. after rank 0 has written a file the others read
    """
    get_world().barrier()


def _check_tensor(tensor, fn: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}(tensor) needs an xpnet Tensor; got {type(tensor).__name__}")


def all_reduce(tensor: Tensor, op: str = "sum") -> Tensor:
    """Replace ``tensor``'s data by the sum (``op="sum"``) or mean (``"mean"``) over all ranks.

    With ``R`` ranks holding ``t_0 .. t_{R-1}``, every rank gets
    ``t_0 + ... + t_{R-1}``, or that divided by ``R`` for ``"mean"`` (which
    needs a floating dtype); ``"sum"`` takes any dtype but bool.  The shape
    and dtype stay those of ``tensor``, which is returned.  Under
    ``mpiexec -n 2``, with ``t = xpnet.tensor([rank() + 1.0])``::

        dist.all_reduce(t)              # both ranks: [3.]
        dist.all_reduce(t, op="mean")   # both ranks: [1.5]

    In a world of one process the sum is the tensor itself:

    >>> import xpnet
    >>> from xpnet import distributed as dist
    >>> correct = xpnet.tensor([37])                 # this rank's count (int64)
    >>> dist.all_reduce(correct).numpy()
    array([37])
    >>> dist.all_reduce(correct, op="mean")
    Traceback (most recent call last):
    TypeError: all_reduce(op='mean') needs a floating tensor; got dtype int64 ...
    """
    _check_tensor(tensor, "all_reduce")
    if op not in REDUCE_OPS:
        raise ValueError(f"all_reduce(op) must be one of {REDUCE_OPS}; got {op!r}")
    if tensor.dtype == numpy.bool_:
        raise TypeError("all_reduce(tensor) does not sum bool tensors; cast to int32 first")
    if op == "mean" and not is_floating(tensor.dtype):
        raise TypeError(f"all_reduce(op='mean') needs a floating tensor; got dtype "
                        f"{tensor.dtype} (use op='sum' and divide yourself)")
    world = get_world()
    total = world.run_on(tensor.data, tensor.backend, world.all_reduce_sum_)
    tensor.data = total / world.world_size if op == "mean" else total
    return tensor


def broadcast(tensor: Tensor, src: int = 0) -> Tensor:
    """Replace ``tensor``'s data on every rank by rank ``src``'s; returns ``tensor``.

    ``src`` is a rank in ``0..world_size()-1``; every rank's tensor must have
    the same shape and dtype.

    >>> import xpnet
    >>> from xpnet import distributed as dist
    >>> t = xpnet.tensor([0.5, 1.5])
    >>> dist.broadcast(t, src=0).numpy()
    array([0.5, 1.5], dtype=float32)
    >>> dist.broadcast(t, src=1)
    Traceback (most recent call last):
    ValueError: broadcast(src) must be a rank in 0..0; got 1
    """
    _check_tensor(tensor, "broadcast")
    world = get_world()
    src = check_int(src, "src", 0)
    if src >= world.world_size:
        raise ValueError(f"broadcast(src) must be a rank in 0..{world.world_size - 1}; got {src}")
    tensor.data = world.run_on(tensor.data, tensor.backend,
                               lambda buf: world.broadcast_(buf, src))
    return tensor


__all__ = ["init", "setup", "shutdown", "get_world", "rank", "world_size", "is_main", "barrier",
           "all_reduce", "broadcast", "REDUCE_OPS"]
