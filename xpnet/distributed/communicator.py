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
    """The collectives of one job's processes (see the module docstring).

    A subclass sets ``rank``, ``world_size`` (and ``local_rank``) and
    implements the three in-place collectives; :meth:`accepts` and
    :meth:`run_on` come with it.  A stand-in for rank 0 of two ranks whose
    rank 1 holds zeros, as a test might use:

    >>> import numpy
    >>> class ZerosBeside(Communicator):
    ...     rank, world_size = 0, 2
    ...     def all_reduce_sum_(self, buf):
    ...         buf += 0                         # plus rank 1's zeros
    ...     def broadcast_(self, buf, src):
    ...         buf[...] = buf if src == 0 else 0
    ...     def barrier(self):
    ...         pass
    >>> buf = numpy.array([1.0, 2.0])
    >>> ZerosBeside().broadcast_(buf, src=1); buf
    array([0., 0.])
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    def accepts(self, buf: Any) -> bool:
        """True if the collectives work on ``buf`` in place (default: contiguous, writable NumPy arrays).

        >>> import numpy
        >>> default = Communicator.accepts            # what MPICommunicator uses
        >>> a = numpy.zeros((3, 2))
        >>> default(LocalCommunicator(), a), default(LocalCommunicator(), a.T)  # .T: not C-order
        (True, False)
        """
        return (isinstance(buf, numpy.ndarray) and buf.flags.c_contiguous
                and buf.flags.writeable)

    def run_on(self, array: Any, backend: Any, collective: Callable[[Any], None]) -> Any:
        """Apply ``collective(buf)`` (one of the in-place collectives) to ``array`` of ``backend``.

        ``array`` itself is the buffer when :meth:`accepts` it; otherwise it
        goes through a contiguous host copy and back to ``backend``.  Returns
        the array holding the result.

        >>> import numpy
        >>> from xpnet.backend import get_backend
        >>> def double_(buf):                 # stands in for an in-place collective
        ...     buf *= 2
        >>> LocalCommunicator().run_on(numpy.array([1.0, 2.0]), get_backend("numpy"), double_)
        array([2., 4.])
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
        """Replace ``buf`` (contiguous) by the elementwise sum of every rank's ``buf``.

        >>> import numpy
        >>> buf = numpy.array([1.0, 2.0])
        >>> LocalCommunicator().all_reduce_sum_(buf); buf     # the sum over one rank
        array([1., 2.])
        """

    @abc.abstractmethod
    def broadcast_(self, buf: Any, src: int) -> None:
        """Replace ``buf`` (contiguous) by rank ``src``'s ``buf``.

        >>> import numpy
        >>> buf = numpy.arange(3)
        >>> LocalCommunicator().broadcast_(buf, src=0); buf    # rank 0 is this process
        array([0, 1, 2])
        """

    @abc.abstractmethod
    def barrier(self) -> None:
        """Return once every rank has called ``barrier()``.

        >>> LocalCommunicator().barrier()       # the only rank: returns at once
        """

    def abort(self, code: int = 1) -> None:
        """End every process of the job with exit status ``code``, without waiting for the others.

        For an error one rank handles itself (e.g. the CLI's one-line
        messages): exiting that rank alone would leave the others waiting in
        their next collective.  Here (a world of one) it raises ``SystemExit(code)``.

        >>> LocalCommunicator().abort(2)
        Traceback (most recent call last):
        SystemExit: 2
        """
        raise SystemExit(code)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rank={self.rank}, world_size={self.world_size})"


class LocalCommunicator(Communicator):
    """The world of a single process: rank 0 of 1; collectives change nothing.

    :func:`xpnet.distributed.init` returns one when no MPI launcher started
    the script.

    >>> world = LocalCommunicator()
    >>> world.rank, world.world_size, world.local_rank
    (0, 1, 0)
    """

    def all_reduce_sum_(self, buf: Any) -> None:
        pass

    def broadcast_(self, buf: Any, src: int) -> None:
        pass

    def barrier(self) -> None:
        pass

    def accepts(self, buf: Any) -> bool:
        """True for any array of any backend: nothing is sent.

        >>> LocalCommunicator().accepts([1, 2])
        True
        """
        return True


__all__ = ["Communicator", "LocalCommunicator"]
