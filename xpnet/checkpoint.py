"""``xpnet.save`` / ``xpnet.load``: checkpoints that never execute anything, written atomically.

What a PyTorch user writes carries over::

    xpnet.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(), "epoch": epoch,
                "rng": xpnet.get_rng_state()}, "checkpoint.xpt")
    ckpt = xpnet.load("checkpoint.xpt")
    model.load_state_dict(ckpt["model"])

A checkpoint holds nested dicts (str or int keys), lists and tuples of
Tensors, NumPy arrays (bool, int8..int64, uint8..uint64, float16/32/64),
Python numbers (ints of up to 14000 bits, floats including inf and nan), strings,
booleans and None, nested at most :data:`MAX_DEPTH` levels.  Tensors come
back as Tensors on the backend asked for, arrays as NumPy arrays, tuples as
tuples.  A checkpoint saved on one backend loads on any other.

The file (see :mod:`xpnet._checkpoint_file`) is a JSON header describing the
nested structure and each array's dtype, shape, byte offsets and CRC-32,
followed by the raw little-endian C-order array data, in the spirit of
safetensors.  Not the ``safetensors`` package itself: it stores only a flat
``str -> tensor`` map plus ``str -> str`` metadata (optimizer state, epochs,
tuples and RNG states would need a second encoding on top), and it is a
compiled (Rust) dependency for what takes ~150 lines of Python here.  Loading
never uses pickle and validates the whole header before allocating anything;
a truncated, corrupted or hostile file raises ``ValueError("load: <path>:
<what is wrong>")``.  ``.npz`` checkpoints written by xpnet 0.1 still load.

Saving writes a temporary file ``.xpnet-save-*.tmp`` in the target's
folder, flushes and fsyncs it, then ``os.replace``-s it over the target, so
the target is always either the previous checkpoint or the new one, whole.
A process killed mid-save can leave that temporary file behind; it is never
read, later saves do not collide with it (each has a fresh random name), and
it is safe to delete.
"""
from __future__ import annotations

import os
import secrets
import stat
from typing import Any, List, NamedTuple, Optional

import numpy

from . import _checkpoint_file as container
from ._checkpoint_file import show
from ._checkpoint_npz import ZIP_MAGIC, read_npz
from .autograd.tensor import Tensor, tensor
from .backend import get_backend

#: how deeply dicts/lists/tuples may nest in a checkpoint
MAX_DEPTH = 100
# Python parses ints of at most 4300 digits from JSON; 14000 bits is 4215 digits
_MAX_INT_BITS = 14000


def _encode(obj: Any, arrays: List[numpy.ndarray], where: str, depth: int = 0) -> Any:
    """The JSON form of ``obj``; arrays are appended to ``arrays`` and referred to by index."""
    if depth > MAX_DEPTH:
        raise ValueError(f"save: {where} is nested more than {MAX_DEPTH} levels deep "
                         "(a container that holds itself?)")
    if isinstance(obj, (Tensor, numpy.ndarray)):
        host = obj.numpy() if isinstance(obj, Tensor) else obj
        if host.dtype.name not in container.DTYPES:
            raise TypeError(f"save: {where} is an array of dtype {host.dtype}; a checkpoint "
                            f"holds {', '.join(container.DTYPES)}")
        arrays.append(host)
        return {"tensor" if isinstance(obj, Tensor) else "array": len(arrays) - 1}
    if isinstance(obj, numpy.generic):
        return _encode(obj.item(), arrays, where, depth)
    if isinstance(obj, int) and not isinstance(obj, bool) and obj.bit_length() > _MAX_INT_BITS:
        raise ValueError(f"save: {where} is an int of {obj.bit_length()} bits; a checkpoint "
                         f"holds ints of at most {_MAX_INT_BITS} bits (JSON's digit limit)")
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return {"float": repr(obj)}  # keeps inf and nan, which JSON cannot
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"save: {where} has a key {k!r} of type {type(k).__name__}; "
                                f"keys must be str or int")
        return {"dict": [[k, _encode(v, arrays, f"{where}[{k!r}]", depth + 1)]
                         for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_encode(v, arrays, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
        return {"tuple" if isinstance(obj, tuple) else "list": items}
    raise TypeError(f"save: {where} is a {type(obj).__name__}; a checkpoint holds tensors, "
                    f"NumPy arrays, numbers, strings, None and dicts/lists/tuples of them")


def save(obj: Any, path) -> None:
    """Write ``obj`` (e.g. a state dict, or a dict of them) to ``path``, atomically.

    ``path`` is replaced only by a complete, fsynced file (see the module
    docstring); on any error it is left as it was.  Raises ``TypeError`` for
    an object a checkpoint cannot hold, before touching the disk.

    Args:
        obj: nested dicts (str or int keys), lists and tuples of Tensors, NumPy
            arrays, numbers, strings, booleans and None.
        path: the file to write (a str or path-like); its folder must exist.

    >>> import os, tempfile, xpnet
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "ckpt.xpt")
    ...     xpnet.save({"w": xpnet.ones(2, 3), "epoch": 4, "best": float("inf")}, path)
    ...     ckpt = xpnet.load(path)
    >>> tuple(ckpt["w"].shape), ckpt["epoch"], ckpt["best"]
    ((2, 3), 4, inf)
    >>> xpnet.save({"f": print}, "never-written.xpt")
    Traceback (most recent call last):
    TypeError: save: obj['f'] is a builtin_function_or_method; a checkpoint holds tensors, ...
    """
    arrays: List[numpy.ndarray] = []
    root = _encode(obj, arrays, "obj")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):  # else the error would name a temp file the user never chose
        raise FileNotFoundError(f"save: the folder {folder!r} of {path!r} does not exist; "
                                "create it first")
    fd, tmp = _create_temp(folder)
    try:
        with os.fdopen(fd, "wb") as f:
            container.write(f, {"root": root}, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def _create_temp(folder: str):
    """``(fd, path)`` of a new file ``.xpnet-save-<random>.tmp`` in ``folder``, open for writing.

    Created with mode 0666, so the OS applies the umask and the checkpoint
    gets the permissions ``open(path, "w")`` would give it (``mkstemp``'s
    files are 0600, and reading the umask means setting it, process-wide).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(folder, f".xpnet-save-{secrets.token_hex(8)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # a name already taken: draw another
            continue


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _Ref(NamedTuple):
    """An array leaf of a decoded structure, before the arrays are read."""
    kind: str   # "tensor" or "array"
    key: Any    # index into the header's arrays (or the member name of a legacy .npz)


def _decode(node: Any, keys, path: str, depth: int = 0) -> Any:
    """The Python form of the JSON ``node``, with :class:`_Ref` for arrays; validates all."""
    def bad(what: str):
        raise ValueError(f"load: {path}: {what}") from None
    if depth > MAX_DEPTH:
        bad(f"the structure is nested more than {MAX_DEPTH} levels deep")
    if node is None or isinstance(node, (bool, int, str)):
        return node
    if not isinstance(node, dict) or len(node) != 1:
        bad(f"malformed structure entry {show(node)}")
    (kind, value), = node.items()
    if kind in ("tensor", "array"):
        if isinstance(value, bool) or not isinstance(value, (int, str)) or value not in keys:
            bad(f"the structure refers to array {show(value)}, which the file does not hold")
        return _Ref(kind, value)
    if kind == "float":
        try:
            return float(value if isinstance(value, str) else "not a str")
        except ValueError:
            bad(f"malformed float {show(value)} in the structure")
    if kind == "dict" and isinstance(value, list):
        out = {}
        for item in value:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], (str, int))
                    and not isinstance(item[0], bool)):
                bad(f"malformed dict item {show(item)} in the structure")
            if item[0] in out:
                bad(f"the structure has a dict with the key {show(item[0])} twice")
            out[item[0]] = _decode(item[1], keys, path, depth + 1)
        return out
    if kind in ("list", "tuple") and isinstance(value, list):
        items = [_decode(v, keys, path, depth + 1) for v in value]
        return tuple(items) if kind == "tuple" else items
    bad(f"unknown or malformed structure entry {show(node)}")


def _fill(obj: Any, read) -> Any:
    """``obj`` with every :class:`_Ref` replaced by ``read(ref)``."""
    if isinstance(obj, _Ref):
        return read(obj)
    if isinstance(obj, dict):
        return {k: _fill(v, read) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill(v, read) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_fill(v, read) for v in obj)
    return obj


def load(path, backend: Optional[str] = None) -> Any:
    """Read a checkpoint written by :func:`save` (or an xpnet 0.1 ``.npz``).

    Tensors come back as Tensors on ``backend`` (a backend name; default: the
    current one), NumPy arrays as NumPy arrays, tuples as tuples.  Raises ``ValueError("load: <path>: <what is wrong>")`` for a file that is
    not a complete, intact checkpoint, or not a regular file at all (a folder,
    FIFO or device; ``FileNotFoundError`` if there is no file).  Nothing in the file is executed, and nothing is allocated before
    the header describing it has been validated against the file's size.

    >>> import os, tempfile, numpy, xpnet
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "state.xpt")
    >>> xpnet.save({"model": xpnet.nn.Linear(2, 1).state_dict(), "mean": numpy.zeros(2),
    ...             "shape": (28, 28)}, path)
    >>> ckpt = xpnet.load(path, backend="numpy")
    >>> sorted(ckpt["model"]), type(ckpt["mean"]).__name__, ckpt["shape"]
    (['bias', 'weight'], 'ndarray', (28, 28))
    >>> with open(path, "r+b") as f:
    ...     _ = f.write(b"junk")
    >>> xpnet.load(path)
    Traceback (most recent call last):
    ValueError: load: ...state.xpt: not an xpnet checkpoint (it starts with b'junk...
    >>> folder.cleanup()
    """
    path = os.fspath(path)
    if backend is not None:
        get_backend(backend)  # a bad name is an error even when the file holds no tensors
    with _open_regular_file(path) as f:
        size = os.fstat(f.fileno()).st_size
        magic = f.read(len(container.MAGIC))
        f.seek(0)
        if magic.startswith(ZIP_MAGIC):
            root, arrays = read_npz(f, path)
            tree = _decode(root, arrays, path)
            return _fill(tree, lambda ref: _leaf(ref.kind, arrays[ref.key], backend))
        if magic != container.MAGIC:
            raise ValueError(f"load: {path}: not an xpnet checkpoint (it starts with "
                             f"{magic!r}, not {container.MAGIC!r})")
        header, data_start = container.read_header(f, size, path)
        if "root" not in header:
            raise ValueError(f"load: {path}: the header has no 'root' structure")
        entries = container.check_arrays(header, size - data_start, path)
        tree = _decode(header.get("root"), range(len(entries)), path)
        return _fill(tree, lambda ref: _leaf(
            ref.kind, container.read_array(f, data_start, entries[ref.key], path), backend))


def _open_regular_file(path: str):
    """``path`` open for binary reading; ``ValueError`` if it is a folder, FIFO or device.

    Opened non-blocking, so a FIFO with no writer is refused instead of hanging
    ``open``; the flag does not affect reads of a regular file.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"load: {path}: not a regular file (a folder, FIFO or device); "
                             "a checkpoint is a file written by xpnet.save")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _leaf(kind: str, host: numpy.ndarray, backend: Optional[str]) -> Any:
    return tensor(host, backend=backend) if kind == "tensor" else host


__all__ = ["save", "load", "MAX_DEPTH"]
