"""``MPICommunicator``: collectives on host (NumPy) buffers through ``mpi4py``.

It uses mpi4py's upper-case buffer methods (``Allreduce``, ``Bcast``), which
send the array's memory as it is (no pickling); MPI infers the datatype
from the NumPy dtype.  Any MPI implementation works: the ``mpi`` extra
installs ``mpich`` from PyPI, a cluster's own MPI works the same
(``mpiexec``/``srun`` start the processes, MPI tells each its rank).

:func:`launched_by_mpi` tells, from the environment alone (without
importing mpi4py), whether ``mpiexec``/``srun`` started this process, and
:func:`abort_on_uncaught_exception` makes an error on any rank end the whole
job: the rank prints its traceback, each line prefixed with ``[rank r]``, then
calls ``MPI.COMM_WORLD.Abort(1)``, so the job exits non-zero instead of the
other ranks waiting forever in their next collective.

>>> from xpnet.distributed.mpi import launched_by_mpi
>>> launched_by_mpi({"PMI_RANK": "0", "PMI_SIZE": "2"})
True
>>> launched_by_mpi({})
False

See also: :class:`~xpnet.distributed.communicator.Communicator`.
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Mapping, Optional

import numpy

from .communicator import Communicator

# what the launchers of MPICH/Hydra and Intel MPI (PMI_*), Open MPI (OMPI_*),
# PMIx-based launchers such as Slurm's srun --mpi=pmix (PMIX_RANK) and
# MVAPICH (MV2_*) put in each process's environment
MPI_ENV_VARS = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                "MV2_COMM_WORLD_SIZE")


def launched_by_mpi(environ: Optional[Mapping[str, str]] = None) -> bool:
    """True if an MPI launcher started this process (one of :data:`MPI_ENV_VARS` is set)."""
    environ = os.environ if environ is None else environ
    return any(name in environ for name in MPI_ENV_VARS)


def abort_on_uncaught_exception(comm: Any, rank: int) -> None:
    """Install a ``sys.excepthook`` that prints the traceback as ``[rank r] ...`` and aborts ``comm``.

    ``comm.Abort(1)`` ends every process of the job (the launcher exits
    non-zero), so no rank is left waiting in a collective for a rank that died.
    """
    def hook(exc_type, exc, tb):
        lines = "".join(traceback.format_exception(exc_type, exc, tb)).splitlines()
        sys.stderr.write("".join(f"[rank {rank}] {line}\n" for line in lines))
        sys.stderr.flush()
        sys.stdout.flush()
        comm.Abort(1)

    sys.excepthook = hook


class MPICommunicator(Communicator):
    """Collectives over MPI (``mpi4py``) on contiguous host NumPy arrays.

    Args:
        comm: an ``mpi4py`` communicator (default ``MPI.COMM_WORLD``).

    ``local_rank`` is the rank among the processes of this machine
    (``comm.Split_type(MPI.COMM_TYPE_SHARED)``).
    """

    def __init__(self, comm: Any = None):
        from mpi4py import MPI  # imported only when MPI is really used

        self.MPI = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = self.comm.Get_rank()
        self.world_size = self.comm.Get_size()
        local = self.comm.Split_type(MPI.COMM_TYPE_SHARED)
        self.local_rank = local.Get_rank()
        local.Free()

    def _check(self, buf: Any, what: str) -> None:
        if not (isinstance(buf, numpy.ndarray) and buf.flags.c_contiguous and buf.flags.writeable):
            raise TypeError(f"MPICommunicator.{what}(buf) needs a C-contiguous, writable NumPy "
                            f"array; got {type(buf).__name__}"
                            + (f" with flags {buf.flags!r}" if isinstance(buf, numpy.ndarray) else ""))

    def all_reduce_sum_(self, buf: numpy.ndarray) -> None:
        self._check(buf, "all_reduce_sum_")
        if buf.dtype == numpy.bool_:
            raise TypeError("MPICommunicator.all_reduce_sum_(buf) does not sum bool arrays (MPI's "
                            "SUM is not defined for logical types); cast to int32 first")
        self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)

    def broadcast_(self, buf: numpy.ndarray, src: int) -> None:
        self._check(buf, "broadcast_")
        self.comm.Bcast(buf, root=src)

    def barrier(self) -> None:
        self.comm.Barrier()

    def abort(self, code: int = 1) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        self.comm.Abort(code)  # MPI ends every process; the launcher exits non-zero
        # MPICH's Abort can return when several ranks abort at once: this rank must not go on
        os._exit(code)


__all__ = ["MPICommunicator", "launched_by_mpi", "abort_on_uncaught_exception", "MPI_ENV_VARS"]
