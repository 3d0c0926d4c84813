"""In-process stand-ins for a multi-rank world, for the tests that need no MPI."""
import numpy

from xpnet.distributed import Communicator


class MirrorWorld(Communicator):
    """Rank ``rank`` of ``world_size`` ranks that all hold what this rank holds.

    ``all_reduce_sum_`` multiplies by ``world_size`` (the sum of equal
    buffers); ``broadcast_`` fills the buffer with ``rank0_value`` (what rank 0
    sent) unless ``src`` is this rank.  Every call is logged in ``calls`` as
    ``(name, dtype, size)``.  Like MPI, it works on contiguous NumPy buffers
    only (other arrays go through a host copy).
    """

    def __init__(self, world_size=2, rank=1, rank0_value=7):
        self.world_size, self.rank, self.rank0_value = world_size, rank, rank0_value
        self.calls = []

    def _log(self, name, buf):
        assert self.accepts(buf), f"{name} got a buffer MPI could not send: {type(buf)}"
        self.calls.append((name, numpy.dtype(buf.dtype), buf.size))

    def all_reduce_sum_(self, buf):
        self._log("all_reduce", buf)
        buf *= self.world_size

    def broadcast_(self, buf, src):
        self._log("broadcast", buf)
        if src != self.rank:
            buf[...] = self.rank0_value

    def barrier(self):
        self.calls.append(("barrier", None, 0))

    def names(self):
        return [c[0] for c in self.calls]
