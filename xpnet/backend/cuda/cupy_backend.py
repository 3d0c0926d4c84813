"""The ``cupy`` backend: CuPy arrays on an NVIDIA GPU, hot ops through our CUDA kernels.

``xp`` is CuPy; conv2d and batch norm run ``kernels/*.cu`` via
:class:`~xpnet.backend.cuda.launch.CupyLauncher` (``cupy.RawModule``, compiled
lazily once per process and dtype; CuPy's on-disk cache keeps the binaries).
Everything else is plain CuPy.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy

try:
    import cupy
    _IMPORT_ERROR: Optional[BaseException] = None
except ImportError as e:  # the backend stays importable so it can say why it is unavailable
    cupy = None
    _IMPORT_ERROR = e

from ..base import Backend
from .kernel_ops import KernelOps
from .launch import CupyLauncher


class CupyBackend(KernelOps, Backend):
    name = "cupy"
    xp = cupy

    def __init__(self):
        self.launcher = CupyLauncher()

    @classmethod
    def unavailable_reason(cls) -> Optional[str]:
        cpu_hint = "to test the kernels on the CPU use XPNET_BACKEND=cudasim"
        if cupy is None:
            return (f"CuPy is not installed ({_IMPORT_ERROR}); install the wheel matching your "
                    f"CUDA, e.g. pip install cupy-cuda12x; {cpu_hint}")
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # cupy.cuda.runtime.CUDARuntimeError, or no driver at all
            count, detail = 0, f"{type(e).__name__}: {e}"
        else:
            detail = "the CUDA runtime reports 0 devices"
        if count == 0:
            return f"no CUDA device is available ({detail}); {cpu_hint}"
        return None

    def to_numpy(self, a: Any) -> numpy.ndarray:
        if isinstance(a, numpy.ndarray):
            return a.copy()
        return cupy.asnumpy(a)

    def synchronize(self) -> None:
        cupy.cuda.get_current_stream().synchronize()

    def add_at(self, shape, index, values):
        out = cupy.zeros(shape, dtype=values.dtype)
        if hasattr(cupy.add, "at"):
            cupy.add.at(out, index, values)
        else:  # older CuPy
            import cupyx
            cupyx.scatter_add(out, index, values)
        return out
