"""Backend registry: which array namespace and hot-op implementation is current.

The current backend is chosen, in order of precedence, by ``use_backend`` (a
context manager), ``set_backend``, or the environment variable
``XPNET_BACKEND`` read at import time (default ``"numpy"``).

>>> import xpnet
>>> xpnet.get_backend().name
'numpy'
>>> with xpnet.use_backend("numpy"):
...     pass

Names: ``numpy`` (CPU), ``cupy`` (NVIDIA GPU, our CUDA kernels),
``cudasim`` (NumPy arrays; the hot ops run our CUDA kernels on a CPU
simulator, for testing kernels without a GPU) and ``array_api_strict``
(testing only: the generic code runs on the strict Array API namespace).
"""
from __future__ import annotations

import contextlib
import importlib
import os
from typing import Dict, Iterator, Optional

from .base import Backend

# name -> "module:Class", imported only when asked for, so importing xpnet
# never imports CuPy.
_REGISTRY: Dict[str, str] = {
    "numpy": "xpnet.backend.numpy_backend:NumpyBackend",
    "cupy": "xpnet.backend.cuda.cupy_backend:CupyBackend",
    "cudasim": "xpnet.backend.cuda.cudasim_backend:CudasimBackend",
    "array_api_strict": "xpnet.backend.strict_backend:StrictBackend",
}
_INSTANCES: Dict[str, Backend] = {}
_current: Optional[Backend] = None


def backend_names() -> tuple:
    """All registered backend names (available here or not).

    >>> import xpnet
    >>> xpnet.backend.backend_names()
    ('numpy', 'cupy', 'cudasim', 'array_api_strict')

    See also: :func:`available_backends`.
    """
    return tuple(_REGISTRY)


def backend_class(name: str) -> type:
    """The Backend subclass registered under ``name`` (imports its module).

    Raises ``ValueError`` for an unknown name.

    >>> import xpnet
    >>> xpnet.backend.backend_class("numpy").__name__
    'NumpyBackend'
    """
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"backend name must be one of {', '.join(map(repr, _REGISTRY))}; got {name!r}")
    module, cls = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)


def backend_unavailable_reason(name: str) -> Optional[str]:
    """``None`` if backend ``name`` can run on this machine, else a sentence saying why not.

    >>> import xpnet
    >>> xpnet.backend.backend_unavailable_reason("numpy") is None
    True
    """
    try:
        cls = backend_class(name)
    except ImportError as e:  # a module the backend needs is missing
        return f"backend {name!r} cannot be imported: {e}"
    return cls.unavailable_reason()


def available_backends() -> tuple:
    """Names of the backends that can run on this machine (a tuple, registry order).

    >>> import xpnet
    >>> "numpy" in xpnet.available_backends()
    True

    See also: :func:`backend_unavailable_reason` (why one is missing).
    """
    return tuple(n for n in _REGISTRY if backend_unavailable_reason(n) is None)


def get_backend(name: Optional[str] = None) -> Backend:
    """The backend object named ``name``, or the current backend if ``name`` is None.

    Raises ``RuntimeError`` saying what is missing when the backend cannot run
    here (e.g. ``cupy`` without CuPy, or without a CUDA device).  Each name has
    one instance, so backends compare by identity.

    >>> import xpnet
    >>> xpnet.get_backend("numpy") is xpnet.get_backend("numpy")
    True
    """
    global _current
    if isinstance(name, Backend):
        return name
    if name is None:
        if _current is None:
            _current = get_backend(os.environ.get("XPNET_BACKEND", "numpy") or "numpy")
        return _current
    if name not in _INSTANCES:
        reason = backend_unavailable_reason(name)
        if reason is not None:
            raise RuntimeError(f"backend {name!r} is not available: {reason}")
        _INSTANCES[name] = backend_class(name)()
    return _INSTANCES[name]


def set_backend(name: str) -> Backend:
    """Make ``name`` the current backend for new tensors and modules; returns it.

    Existing tensors stay where they are (move them with ``.to(name)``).

    >>> import xpnet
    >>> xpnet.set_backend("numpy").name
    'numpy'
    >>> xpnet.zeros(1).backend.name
    'numpy'

    See also: :func:`use_backend` (for a block only).
    """
    global _current
    _current = get_backend(name)
    return _current


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[Backend]:
    """``with use_backend("cupy"):`` makes ``name`` current inside the block only.

    The previous backend is restored on exit, also on an exception.

    >>> import xpnet
    >>> with xpnet.use_backend("array_api_strict"):
    ...     print(xpnet.zeros(1).backend.name)
    array_api_strict
    >>> xpnet.get_backend().name
    'numpy'
    """
    global _current
    previous = get_backend()
    _current = get_backend(name)
    try:
        yield _current
    finally:
        _current = previous


def precompile(names=None) -> None:
    """Compile the CUDA kernels of the kernel backends up front (``cupy``, ``cudasim``).

    ``names`` restricts to some backends; unavailable ones are skipped unless
    named explicitly.  Without a GPU this compiles for the CPU simulator only.

    >>> import xpnet
    >>> xpnet.backend.precompile(["numpy"])   # a backend without kernels: nothing to do
    """
    targets = names if names is not None else [
        n for n in ("cupy", "cudasim") if backend_unavailable_reason(n) is None]
    for n in targets:
        get_backend(n).precompile()


__all__ = ["Backend", "backend_names", "available_backends", "backend_unavailable_reason",
           "get_backend", "set_backend", "use_backend", "precompile", "backend_class"]
