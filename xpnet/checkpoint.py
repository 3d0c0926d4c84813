"""``xpnet.save`` / ``xpnet.load``: checkpoints without pickle, written atomically.

What a PyTorch user writes carries over::

    xpnet.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                "epoch": epoch}, "checkpoint.npz")
    ckpt = xpnet.load("checkpoint.npz")
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])

The file is a NumPy ``.npz`` archive: every array (tensor data, optimizer
buffers) is one entry, and the nesting (dicts, lists, tuples, numbers,
strings, None) is one JSON document stored beside them.  Loading uses
``numpy.load(allow_pickle=False)`` and ``json``: nothing in a file is ever
executed.  Saving writes a temporary file in the same folder and renames it
over the target only once it is complete, so an interrupted save never
destroys the previous checkpoint.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any, Dict, Optional

import numpy

from .autograd.tensor import Tensor, tensor

_STRUCTURE = "__xpnet_structure__"
_FORMAT = 1


def _encode(obj: Any, arrays: Dict[str, numpy.ndarray], where: str) -> Any:
    """The JSON form of ``obj``; arrays go to ``arrays`` under fresh names."""
    if isinstance(obj, Tensor) or isinstance(obj, numpy.ndarray):
        name = f"a{len(arrays)}"
        host = obj.numpy() if isinstance(obj, Tensor) else obj
        if host.dtype.kind not in "biuf":
            raise TypeError(f"save: {where} is an array of dtype {host.dtype}; only bool, "
                            f"integer and floating arrays can be saved")
        arrays[name] = numpy.array(host, order="C")  # keeps 0-d (ascontiguousarray would not)
        return {"tensor" if isinstance(obj, Tensor) else "array": name}
    if isinstance(obj, numpy.generic):
        return _encode(obj.item(), arrays, where)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return {"float": repr(obj)}  # keeps inf and nan, which JSON cannot
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: {where} has a key {k!r} of type {type(k).__name__}; "
                                f"keys must be str or int")
        return {"dict": [[k, _encode(v, arrays, f"{where}[{k!r}]")] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
        return {"tuple" if isinstance(obj, tuple) else "list": items}
    raise TypeError(f"save: {where} is a {type(obj).__name__}; a checkpoint holds tensors, "
                    f"NumPy arrays, numbers, strings, None and dicts/lists/tuples of them")


def save(obj: Any, path) -> None:
    """Write ``obj`` (e.g. a state dict, or a dict of them) to ``path`` as a pickle-free ``.npz``.

    The write is atomic: ``path`` is replaced only by a complete file.
    """
    arrays: Dict[str, numpy.ndarray] = {}
    structure = {"format": _FORMAT, "root": _encode(obj, arrays, "obj")}
    arrays[_STRUCTURE] = numpy.frombuffer(json.dumps(structure).encode(), dtype=numpy.uint8)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".xpnet-save-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            numpy.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _decode(node: Any, arrays, backend, path: str) -> Any:
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if not isinstance(node, dict) or len(node) != 1:
        raise ValueError(f"load: {path}: malformed checkpoint structure")
    (kind, value), = node.items()
    if kind in ("tensor", "array"):
        if value not in arrays or value == _STRUCTURE:
            raise ValueError(f"load: {path}: the checkpoint refers to a missing array {value!r}")
        host = arrays[value]
        return tensor(host, backend=backend) if kind == "tensor" else host
    if kind == "float":
        return float(value)
    if kind == "dict":
        return {k: _decode(v, arrays, backend, path) for k, v in value}
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays, backend, path) for v in value]
        return tuple(items) if kind == "tuple" else items
    raise ValueError(f"load: {path}: unknown entry kind {kind!r} in the checkpoint")


def load(path, backend: Optional[str] = None) -> Any:
    """Read a checkpoint written by :func:`save`; tensors come back on ``backend``
    (default: the current one), NumPy arrays as NumPy arrays.

    Raises ``ValueError`` naming the file if it is not such a checkpoint.
    Nothing in the file is executed (no pickle).
    """
    path = os.fspath(path)
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, zipfile.BadZipFile, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"load: {path} is not an xpnet checkpoint ({e})") from None
    if _STRUCTURE not in arrays:
        raise ValueError(f"load: {path} is an .npz file but not an xpnet checkpoint "
                         f"(no {_STRUCTURE} entry)")
    try:
        structure = json.loads(arrays[_STRUCTURE].tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"load: {path}: unreadable checkpoint structure ({e})") from None
    if not isinstance(structure, dict) or structure.get("format") != _FORMAT:
        raise ValueError(f"load: {path}: unsupported checkpoint format "
                         f"{structure.get('format') if isinstance(structure, dict) else None!r}")
    return _decode(structure.get("root"), arrays, backend, path)


__all__ = ["save", "load"]
