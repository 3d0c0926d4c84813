"""The ``cudasim`` backend: NumPy arrays, hot ops run our CUDA kernels on the CPU simulator.

For testing the kernels without a GPU: everything except the hot ops is the
NumPy backend; conv2d and batch norm go through the same launch wrappers as
the ``cupy`` backend, on a :class:`~xpnet.backend.cuda.simulator.SimLauncher`.
It is slow (every CUDA thread is a fiber): use small shapes.

Environment: ``XPNET_CUDASIM_SCHEDULE`` (``forward`` | ``reverse`` |
``random[:SEED]``), ``XPNET_CUDASIM_ASAN=1`` (bounds-checked build; see
:mod:`xpnet.backend.cuda.simulator`), ``CXX``, ``XPNET_CACHE_DIR``.
"""
from __future__ import annotations

import sys
from typing import Optional

from ..numpy_backend import NumpyBackend
from . import simulator
from .kernel_ops import KernelOps


class CudasimBackend(KernelOps, NumpyBackend):
    name = "cudasim"

    def __init__(self):
        super().__init__()  # NumpyBackend's: the host allocator tuning its arrays benefit from
        self.launcher = simulator.SimLauncher()

    @classmethod
    def unavailable_reason(cls) -> Optional[str]:
        if not sys.platform.startswith("linux"):
            return f"the CUDA simulator runs on Linux only (this is {sys.platform})"
        try:
            simulator.compiler_version(simulator.compiler())
        except RuntimeError as e:
            return str(e)
        return None
