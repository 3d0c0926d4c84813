"""``Communicator``: the collectives data-parallel training needs, on one engine.

A communicator connects the ``world_size`` processes of one job; each has a
``rank`` in ``0..world_size-1`` and a ``local_rank`` among the processes of
its machine (which chooses its GPU).  It offers three collectives on
contiguous 1-D or n-D buffers, in place, that every rank must call in the same
order with buffers of the same shape and dtype:

* ``all_reduce_sum_(buf)``: every rank's ``buf`` becomes the elementwise sum of all ranks' ``buf``;
* ``broadcast_(buf, src)``: every rank's ``buf`` becomes rank ``src``'s ``buf``;
* ``barrier()``: returns once every rank has entered it.

``accepts(buf)`` says which arrays it reduces in place: host NumPy arrays for
:class:`~xpnet.distributed.mpi.MPICommunicator`, CuPy arrays for
:class:`~xpnet.distributed.nccl.NCCLCommunicator`; the public functions in
:mod:`xpnet.distributed.comm` stage other arrays through a host copy.

:class:`LocalCommunicator` is the world of one process (no MPI needed): every
collective leaves its buffer as it is, which is the sum over one rank.

>>> import numpy
>>> comm = LocalCommunicator()
>>> buf = numpy.array([1.0, 2.0])
>>> comm.all_reduce_sum_(buf); buf
array([1., 2.])

See also: :mod:`xpnet.distributed.comm` (``init``, ``all_reduce``, ``broadcast``).
"""
from __future__ import annotations

import abc
from typing import Any, Callable

import numpy


class Communicator(abc.ABC):
    """The collectives of one job's processes (see the module docstring)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    def accepts(self, buf: Any) -> bool:
        """True if the collectives work on ``buf`` in place (default: contiguous, writable NumPy arrays)."""
        return (isinstance(buf, numpy.ndarray) and buf.flags.c_contiguous
                and buf.flags.writeable)

    def run_on(self, array: Any, backend: Any, collective: Callable[[Any], None]) -> Any:
        """Apply ``collective(buf)`` (one of the in-place collectives) to ``array`` of ``backend``.

        ``array`` itself is the buffer when :meth:`accepts` it; otherwise it
        goes through a contiguous host copy and back to ``backend``.  Returns
        the array holding the result.
        """
        if self.accepts(array):
            collective(array)
            return array
        host = numpy.ascontiguousarray(backend.to_numpy(array))
        if not host.flags.writeable:
            host = host.copy()
        collective(host)
        return backend.asarray(host)

    @abc.abstractmethod
    def all_reduce_sum_(self, buf: Any) -> None:
        """Replace ``buf`` (contiguous) by the elementwise sum of every rank's ``buf``."""

    @abc.abstractmethod
    def broadcast_(self, buf: Any, src: int) -> None:
        """Replace ``buf`` (contiguous) by rank ``src``'s ``buf``."""

    @abc.abstractmethod
    def barrier(self) -> None:
        """Return once every rank has called ``barrier()``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rank={self.rank}, world_size={self.world_size})"


class LocalCommunicator(Communicator):
    """The world of a single process: rank 0 of 1; collectives change nothing."""

    def all_reduce_sum_(self, buf: Any) -> None:
        pass

    def broadcast_(self, buf: Any, src: int) -> None:
        pass

    def barrier(self) -> None:
        pass

    def accepts(self, buf: Any) -> bool:
        return True  # nothing is sent, so any array of any backend will do


__all__ = ["Communicator", "LocalCommunicator"]
