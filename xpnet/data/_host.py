"""Host-side helpers of the data layer: NumPy in, the caller's kind out.

They live in :mod:`xpnet.host` (shared with ``nn`` and ``optim``) and
:mod:`xpnet.random`; this module names the ones the data layer uses.
"""
from ..host import check_int, is_tensor, like, to_host
from ..random import make_rng

__all__ = ["is_tensor", "to_host", "like", "check_int", "make_rng"]
