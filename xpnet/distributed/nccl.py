"""``NCCLCommunicator``: collectives on GPU (CuPy) buffers through NCCL (``cupy.cuda.nccl``).

One process per GPU, started by ``mpiexec``/``srun`` as on the CPU path; MPI
only bootstraps NCCL:

1. each rank uses GPU ``local_rank % device_count`` (``local_rank`` is its rank
   among the processes of its machine, ``MPI.COMM_WORLD.Split_type(COMM_TYPE_SHARED)``);
2. rank 0 asks NCCL for a unique id (``nccl.get_unique_id()``), MPI broadcasts
   it, and every rank joins ``nccl.NcclCommunicator(world_size, uid, rank)``;
3. collectives are NCCL calls on raw device pointers, enqueued on CuPy's
   current stream so they are ordered with the kernels around them:
   ``allReduce(ptr, ptr, count, datatype, NCCL_SUM, stream.ptr)`` in place and
   ``bcast(ptr, count, datatype, root, stream.ptr)``.

The unique id is bytes from CuPy 14 on and a tuple of ints before; both are
broadcast as 129 int16 values (a kind flag, then the 128 id bytes).

It cannot run without GPUs; ``tests/distributed/test_nccl.py`` checks the
calls against a fake ``cupy.cuda.nccl`` and runs for real where GPUs exist.

See also: :class:`~xpnet.distributed.mpi.MPICommunicator`.
"""
from __future__ import annotations

from typing import Any

import numpy

from .communicator import Communicator

UNIQUE_ID_BYTES = 128  # NCCL_UNIQUE_ID_BYTES in nccl.h

# NumPy dtype name -> the name of the NCCL datatype constant in cupy.cuda.nccl
NCCL_DTYPES = {"int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32",
               "int64": "NCCL_INT64", "float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32",
               "float64": "NCCL_FLOAT64", "bool": "NCCL_UINT8"}


class NCCLCommunicator(Communicator):
    """Collectives with NCCL on contiguous CuPy arrays of this rank's GPU.

    Args:
        mpi: the :class:`~xpnet.distributed.mpi.MPICommunicator` that
            bootstraps it (default: a new one on ``MPI.COMM_WORLD``).
        nccl: the ``cupy.cuda.nccl`` module (a stand-in in tests).
        cuda: the ``cupy.cuda`` module (a stand-in in tests).
    """

    def __init__(self, mpi: Any = None, nccl: Any = None, cuda: Any = None):
        if mpi is None:
            from .mpi import MPICommunicator
            mpi = MPICommunicator()
        if nccl is None:
            from cupy.cuda import nccl
        if cuda is None:
            from cupy import cuda
        self.mpi, self.nccl, self.cuda = mpi, nccl, cuda
        self.rank, self.world_size, self.local_rank = mpi.rank, mpi.world_size, mpi.local_rank
        self.device_id = self.local_rank % cuda.runtime.getDeviceCount()
        cuda.Device(self.device_id).use()
        uid = nccl.get_unique_id() if self.rank == 0 else None
        self.comm = nccl.NcclCommunicator(self.world_size, self._share_unique_id(uid), self.rank)

    def _share_unique_id(self, uid: Any) -> Any:
        """Rank 0's unique id ``uid`` on every rank, in the form CuPy gave it (bytes or tuple)."""
        buf = numpy.zeros(1 + UNIQUE_ID_BYTES, dtype=numpy.int16)
        if self.rank == 0:
            if len(uid) != UNIQUE_ID_BYTES:
                raise ValueError(f"nccl.get_unique_id() must return {UNIQUE_ID_BYTES} bytes; "
                                 f"got {len(uid)}")
            buf[0] = isinstance(uid, bytes)
            buf[1:] = list(uid)
        self.mpi.broadcast_(buf, 0)
        values = buf[1:].tolist()
        return bytes(values) if buf[0] else tuple(values)

    def accepts(self, buf: Any) -> bool:
        return hasattr(buf, "data") and hasattr(buf.data, "ptr") and buf.flags.c_contiguous

    def _datatype(self, buf: Any, what: str) -> int:
        if not self.accepts(buf):
            raise TypeError(f"NCCLCommunicator.{what}(buf) needs a C-contiguous CuPy array; "
                            f"got {type(buf).__name__}")
        name = numpy.dtype(buf.dtype).name
        if name not in NCCL_DTYPES:
            raise TypeError(f"NCCLCommunicator.{what}(buf): dtype must be one of "
                            f"{sorted(NCCL_DTYPES)}; got {name}")
        return getattr(self.nccl, NCCL_DTYPES[name])

    def all_reduce_sum_(self, buf: Any) -> None:
        datatype = self._datatype(buf, "all_reduce_sum_")
        if buf.dtype == numpy.bool_:
            raise TypeError("NCCLCommunicator.all_reduce_sum_(buf) does not sum bool arrays; "
                            "cast to int32 first")
        stream = self.cuda.get_current_stream()
        self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, datatype,
                            self.nccl.NCCL_SUM, stream.ptr)

    def broadcast_(self, buf: Any, src: int) -> None:
        datatype = self._datatype(buf, "broadcast_")
        stream = self.cuda.get_current_stream()
        self.comm.bcast(buf.data.ptr, buf.size, datatype, src, stream.ptr)

    def barrier(self) -> None:
        self.cuda.get_current_stream().synchronize()  # this rank's NCCL work is done
        self.mpi.barrier()

    def abort(self, code: int = 1) -> None:
        self.mpi.abort(code)


__all__ = ["NCCLCommunicator", "NCCL_DTYPES", "UNIQUE_ID_BYTES"]
