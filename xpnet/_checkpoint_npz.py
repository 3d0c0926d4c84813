"""Reading the ``.npz`` checkpoints of xpnet 0.1 (so nothing a user saved is lost).

Those files are ZIP archives written by ``numpy.savez``: one ``.npy`` member
per array (``a0``, ``a1``, ...) and ``__xpnet_structure__``, a uint8 array
holding ``{"format": 1, "root": ...}`` whose array references are member
names.  Only stored (uncompressed) members are accepted, and each member's
``.npy`` header is parsed and checked (no object dtype, so no pickle; a size
that matches the member's) before its data is read, so no allocation
exceeds the archive's size.  Any failure is a ``ValueError`` naming the file.

>>> import io, numpy
>>> buf = io.BytesIO()
>>> numpy.savez(buf, __xpnet_structure__=numpy.frombuffer(
...     b'{"format": 1, "root": {"array": "a0"}}', numpy.uint8), a0=numpy.arange(2))
>>> root, arrays = read_npz(buf, "<memory>")
>>> root, arrays["a0"]
({'array': 'a0'}, array([0, 1]))
"""
from __future__ import annotations

import json
import math
import zipfile
from typing import BinaryIO, Dict, Optional, Tuple

import numpy
from numpy.lib import format as npy

from ._checkpoint_file import DTYPES

ZIP_MAGIC = b"PK\x03\x04"
STRUCTURE = "__xpnet_structure__"
FORMAT = 1
_HEADER_READERS = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
NpyHeader = Tuple[Tuple[int, ...], bool, numpy.dtype, int]


def read_npz(f: BinaryIO, path: str) -> Tuple[object, Dict[str, numpy.ndarray]]:
    """``(root structure, {name: array})`` of a legacy checkpoint open as ``f``."""
    size = f.seek(0, 2)
    f.seek(0)
    try:
        with zipfile.ZipFile(f) as archive:
            arrays = {info.filename[:-4]: _read_member(archive, info, size)
                      for info in archive.infolist() if info.filename.endswith(".npy")}
    except Exception as e:  # zipfile and NumPy raise many kinds on hostile archives
        raise ValueError(f"load: {path}: not a readable xpnet .npz checkpoint "
                         f"({type(e).__name__}: {e})") from None
    if STRUCTURE not in arrays:
        raise ValueError(f"load: {path}: an .npz file but not an xpnet checkpoint "
                         f"(no {STRUCTURE} entry)")
    try:
        structure = json.loads(arrays.pop(STRUCTURE).tobytes().decode("utf-8"))
    except RecursionError:
        raise ValueError(f"load: {path}: the checkpoint structure is nested too deeply") from None
    except ValueError as e:  # UnicodeDecodeError, JSONDecodeError
        raise ValueError(f"load: {path}: unreadable checkpoint structure ({e})") from None
    if not isinstance(structure, dict) or structure.get("format") != FORMAT:
        raise ValueError(f"load: {path}: unsupported .npz checkpoint format")
    return structure.get("root"), arrays


def read_npy_header(m: BinaryIO) -> Tuple[Tuple[int, int], Optional[NpyHeader]]:
    """``(version, header)`` of the ``.npy`` data at ``m``'s position, read before its data.

    ``header`` is ``(shape, fortran_order, dtype, nbytes)``, ``nbytes`` being the
    data size the header claims (so a caller can refuse a claim larger than the
    bytes there are before anything is allocated), or None for a version other
    than 1.0 and 2.0 (3.0, for utf-8 field names, is left unparsed).  Used by
    this module and by :func:`xpnet.data.load_dataset`.
    """
    version = npy.read_magic(m)
    reader = _HEADER_READERS.get(version)
    if reader is None:
        return version, None
    shape, fortran, dtype = reader(m)
    return version, (shape, fortran, dtype, dtype.itemsize * math.prod(shape))


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> numpy.ndarray:
    """One ``.npy`` member of an archive of ``size`` bytes, validated before its data is
    allocated (raises ValueError)."""
    where = f"member {info.filename!r}"
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{where} is compressed; xpnet wrote stored members only")
    if max(info.file_size, info.compress_size) > size:  # zipfile would allocate the claim
        raise ValueError(f"{where} claims {max(info.file_size, info.compress_size)} bytes, "
                         f"more than the whole {size}-byte archive")
    with archive.open(info) as m:
        version, header = read_npy_header(m)
        if header is None:
            raise ValueError(f"{where} has .npy version {version}")
        shape, fortran, dtype, nbytes = header
        if dtype.name not in DTYPES:
            raise ValueError(f"{where} has dtype {dtype}; only {', '.join(DTYPES)} are read")
        if any(d < 0 for d in shape):
            raise ValueError(f"{where} has shape {shape} with a negative size")
        if nbytes != info.file_size - m.tell():
            raise ValueError(f"{where} claims shape {shape} of {dtype} but holds "
                             f"{info.file_size - m.tell()} bytes of data")
        data = m.read(nbytes)
    arr = numpy.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return numpy.array(arr, dtype=dtype.newbyteorder("="), order="C")  # owns its memory


__all__ = ["ZIP_MAGIC", "read_npz", "read_npy_header"]
