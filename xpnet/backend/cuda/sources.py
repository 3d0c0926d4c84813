"""Where the CUDA kernel sources (``kernels/*.cu``) live.

Installed, they are package data of ``xpnet.kernels``; in a source checkout
they are the top-level ``kernels/`` folder next to the ``xpnet/`` package.
Everything that reads a kernel source goes through :func:`kernel_dir` or
:func:`source_path`.
"""
from __future__ import annotations

import hashlib
import importlib.resources
import pathlib
from typing import Iterable


def kernel_dir() -> pathlib.Path:
    """The directory holding ``cudasim.h``, ``batchnorm.cu``, ``conv2d.cu``..."""
    try:
        root = importlib.resources.files("xpnet.kernels")
    except ModuleNotFoundError:
        root = None
    if root is not None and isinstance(root, pathlib.Path) and (root / "cudasim.h").is_file():
        return root
    checkout = pathlib.Path(__file__).resolve().parents[3] / "kernels"
    if (checkout / "cudasim.h").is_file():
        return checkout
    raise FileNotFoundError(
        "xpnet's CUDA kernel sources were not found: neither the installed package "
        f"'xpnet.kernels' nor {checkout} holds cudasim.h; reinstall xpnet")


def source_path(source: str) -> pathlib.Path:
    """The path of kernel source ``source``: a file name in :func:`kernel_dir`,
    or an absolute path (test-only kernels)."""
    p = pathlib.Path(source)
    if not p.is_absolute():
        p = kernel_dir() / p
    if not p.is_file():
        raise FileNotFoundError(f"CUDA kernel source {source!r} not found (looked at {p})")
    return p


def include_options(path: pathlib.Path) -> tuple:
    """The ``-I`` options every compile of kernel source ``path`` uses (NVRTC, CuPy, g++):
    :func:`kernel_dir` for the shared headers, then the source's own folder."""
    return (f"-I{kernel_dir()}", f"-I{path.parent}")


def headers() -> list:
    """The shared headers (``*.cuh``, ``*.h``) of :func:`kernel_dir`, sorted."""
    d = kernel_dir()
    return sorted(list(d.glob("*.cuh")) + list(d.glob("*.h")))


def digest(paths: Iterable[pathlib.Path], *extra: str) -> str:
    """A hex digest of the contents of ``paths`` and the strings ``extra``
    (the cache key of compiled kernels)."""
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p.name).encode())
        h.update(p.read_bytes())
    for e in extra:
        h.update(b"\0" + e.encode())
    return h.hexdigest()[:20]
