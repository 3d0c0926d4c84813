"""The container under :mod:`xpnet.checkpoint`: a JSON header, then raw little-endian arrays.

Layout (all integers little-endian)::

    offset 0   8 bytes  magic b"\\x89XPNET\\r\\n" (the \\x89 and \\r\\n catch 7-bit and
                        newline-translating copies, as PNG's signature does)
    offset 8   u64      n, the length of the header in bytes
    offset 16  u32      CRC-32 of the header bytes
    offset 20  u32      zero (reserved)
    offset 24  n bytes  UTF-8 JSON header, padded with spaces so the data starts at a
                        multiple of 64
    24 + n     ...      the data section: each array's bytes, C order, little-endian,
                        starting at a multiple of 64; the file ends with the last array

The header is ``{"format": "xpnet.checkpoint", "version": 2, "arrays": [...],
...}`` where ``arrays[i] = {"dtype": "float32", "shape": [2, 3], "offsets":
[begin, end], "crc32": c}``; offsets are relative to the start of the data
section and ``end - begin == prod(shape) * itemsize``.  Other header keys
belong to the caller (the checkpoint puts its nested structure there).

Reading trusts nothing: the header length is checked against the file size
and :data:`HEADER_CAP` before the header is read, the header's CRC before it
is parsed, and every array's dtype (a whitelist), shape and offsets (inside
the data section, not overlapping, sizes consistent, all in Python ints so
nothing overflows) before any array is allocated, so no allocation exceeds
the file's size.  Each array's CRC is checked after it is read.  Every
problem is a ``ValueError("load: <path>: <what is wrong>")``.

>>> import io, numpy
>>> buf = io.BytesIO()
>>> write(buf, {"note": "hi"}, [numpy.arange(3, dtype=numpy.int32)])
>>> _ = buf.seek(0)
>>> header, data_start = read_header(buf, len(buf.getvalue()), "<memory>")
>>> arrays = check_arrays(header, len(buf.getvalue()) - data_start, "<memory>")
>>> read_array(buf, data_start, arrays[0], "<memory>")
array([0, 1, 2], dtype=int32)
"""
from __future__ import annotations

import json
import reprlib
import struct
import zlib
from typing import Any, BinaryIO, List, NamedTuple, Sequence

import numpy

MAGIC = b"\x89XPNET\r\n"
FORMAT, VERSION = "xpnet.checkpoint", 2
_PREAMBLE = struct.Struct("<8sQII")          # magic, header length, header CRC-32, reserved
ALIGN = 64                                   # data section and every array start here
#: the largest header accepted (and written): ~1M arrays' descriptions
HEADER_CAP = 64 * 2**20
MAX_NDIM = 64                                # NumPy's own limit
_MAX_BYTES = numpy.iinfo(numpy.intp).max     # NumPy's limit on an array's (nominal) size
#: the dtypes a file may hold, by the name in the header (always little-endian)
DTYPES = {name: numpy.dtype(name).newbyteorder("<") for name in (
    "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
    "float16", "float32", "float64")}


class ArrayEntry(NamedTuple):
    """One validated array description: where its bytes are and what they mean."""
    index: int
    dtype: numpy.dtype
    shape: tuple
    begin: int
    end: int
    crc32: int


def _pad(n: int) -> int:
    return -n % ALIGN


def _bytes(arr: numpy.ndarray) -> numpy.ndarray:
    """``arr`` as a flat uint8 view of its little-endian C-order bytes (a copy if needed)."""
    arr = numpy.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))
    return arr.reshape(-1).view(numpy.uint8)


def write(f: BinaryIO, header: dict, arrays: Sequence[numpy.ndarray]) -> None:
    """Write ``header`` (a JSON-able dict; ``"arrays"`` and the format keys are added)
    and ``arrays`` (whitelisted dtypes, see :data:`DTYPES`) to the binary file ``f``."""
    chunks, entries, offset = [], [], 0
    for arr in arrays:
        data = _bytes(arr)
        offset += _pad(offset)
        entries.append({"dtype": arr.dtype.name, "shape": list(arr.shape),
                        "offsets": [offset, offset + data.nbytes], "crc32": zlib.crc32(data)})
        chunks.append((offset, data))
        offset += data.nbytes
    text = json.dumps({"format": FORMAT, "version": VERSION, **header, "arrays": entries},
                      allow_nan=False).encode("ascii")  # \u escapes: lone surrogates too
    if len(text) > HEADER_CAP:
        raise ValueError(f"save: the checkpoint's header would be {len(text)} bytes, over the "
                         f"{HEADER_CAP}-byte limit; save fewer, larger arrays")
    f.write(frame(text))
    written = 0
    for begin, data in chunks:
        f.write(b"\0" * (begin - written))
        f.write(data)
        written = begin + data.nbytes


def frame(header: bytes) -> bytes:
    """The preamble and the space-padded header for the header bytes ``header``."""
    header = header + b" " * _pad(_PREAMBLE.size + len(header))
    return _PREAMBLE.pack(MAGIC, len(header), zlib.crc32(header), 0) + header


def read_header(f: BinaryIO, size: int, path: str) -> tuple:
    """``(header dict, data start)`` of the file ``f`` of ``size`` bytes, at offset 0,
    whose first 8 bytes have been checked to be :data:`MAGIC` (the caller dispatches)."""
    fail = _failer(path)
    if size < _PREAMBLE.size:
        fail(f"the file is {size} bytes, shorter than the {_PREAMBLE.size}-byte preamble "
             "(truncated?)")
    _, n, crc, reserved = _PREAMBLE.unpack(f.read(_PREAMBLE.size))
    if n > size - _PREAMBLE.size:
        fail(f"the preamble claims a {n}-byte header but only {size - _PREAMBLE.size} bytes "
             "follow (truncated or corrupt)")
    if n > HEADER_CAP:
        fail(f"the preamble claims a {n}-byte header, over the {HEADER_CAP}-byte limit")
    if reserved != 0:
        fail(f"the reserved preamble field is {reserved}, not 0 (corrupt, or a newer format)")
    raw = f.read(n)
    if len(raw) != n or zlib.crc32(raw) != crc:
        fail("the header's CRC-32 does not match (the file is corrupt)")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError as e:
        fail(f"the header is not UTF-8 ({e})")
    except RecursionError:
        fail("the header's JSON is nested too deeply")
    except _DuplicateKey as e:
        fail(f"the header has the JSON key {show(e.args[0])} twice in one object "
             "(ambiguous: readers disagree on which one counts)")
    except ValueError as e:  # JSONDecodeError, and integers of more than 4300 digits
        fail(f"the header is not valid JSON ({e})")
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        fail(f"the header is not an {FORMAT} header")
    if header.get("version") != VERSION:
        fail(f"unsupported format version {header.get('version')!r} (this xpnet reads "
             f"version {VERSION}; a newer xpnet wrote it?)")
    return header, _PREAMBLE.size + n


def check_arrays(header: dict, data_size: int, path: str) -> List[ArrayEntry]:
    """The header's array descriptions, validated against a data section of ``data_size``
    bytes: known dtype, a shape of non-negative ints whose byte size is ``end - begin``,
    offsets inside the section and not overlapping, and the file ending with the last one."""
    fail = _failer(path)
    entries = header.get("arrays")
    if not isinstance(entries, list):
        fail("the header's 'arrays' must be a list")
    out = []
    for i, e in enumerate(entries):
        where = f"arrays[{i}]"
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "offsets", "crc32"}:
            fail(f"{where} must be a dict with keys crc32, dtype, offsets, shape; got {show(e)}")
        dtype = DTYPES.get(e["dtype"]) if isinstance(e["dtype"], str) else None
        if dtype is None:
            fail(f"{where} has dtype {show(e['dtype'])}; known dtypes: {', '.join(DTYPES)}")
        shape, offsets = e["shape"], e["offsets"]
        if (not isinstance(shape, list) or len(shape) > MAX_NDIM
                or not all(_is_int(d) and d >= 0 for d in shape)):
            fail(f"{where} has shape {show(shape)}; a shape is a list of at most {MAX_NDIM} "
                 "non-negative ints")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_int, offsets))
                and 0 <= offsets[0] <= offsets[1]):
            fail(f"{where} has offsets {show(offsets)}; they must be [begin, end] with "
                 "0 <= begin <= end")
        if offsets[1] > data_size:
            fail(f"{where} ends at byte {offsets[1]} of the data section, which has only "
                 f"{data_size} bytes (truncated?)")
        nbytes = dtype.itemsize
        for d in shape:  # Python ints: no overflow; stop early once past the file
            nbytes *= d
            nbytes = min(nbytes, data_size + 1)
        if nbytes != offsets[1] - offsets[0]:
            fail(f"{where} has shape {tuple(shape)} of {e['dtype']} "
                 f"({'more than the file holds' if nbytes > data_size else f'{nbytes} bytes'}) "
                 f"but its offsets span {offsets[1] - offsets[0]} bytes")
        nonzero = dtype.itemsize
        for d in shape:  # an empty array passes the size check, but NumPy
            # refuses one whose nonzero dims overflow
            nonzero *= max(d, 1)
            if nonzero > _MAX_BYTES:
                fail(f"{where} has shape {show(shape)}, more than any array can hold "
                     f"(its non-zero dims times the itemsize exceed {_MAX_BYTES} bytes)")
        if not _is_int(e["crc32"]):
            fail(f"{where} has crc32 {show(e['crc32'])}; it must be an int")
        out.append(ArrayEntry(i, dtype, tuple(shape), offsets[0], offsets[1], e["crc32"]))
    spans = sorted((a.begin, a.end, a.index) for a in out if a.end > a.begin)
    for (_, end1, i1), (begin2, _, i2) in zip(spans, spans[1:]):
        if begin2 < end1:
            fail(f"arrays[{i1}] and arrays[{i2}] overlap in the data section")
    last = max((a.end for a in out), default=0)
    if last != data_size:
        fail(f"the data section is {data_size} bytes but the arrays end at byte {last} "
             "(trailing bytes?)")
    return out


def read_array(f: BinaryIO, data_start: int, entry: ArrayEntry, path: str) -> numpy.ndarray:
    """Read one validated array (a fresh, native-byte-order NumPy array) and check its CRC."""
    arr = numpy.empty(entry.shape, dtype=entry.dtype)
    view = arr.reshape(-1).view(numpy.uint8)
    f.seek(data_start + entry.begin)
    if view.nbytes and f.readinto(view) != view.nbytes:
        _failer(path)(f"arrays[{entry.index}] is cut short (the file shrank while reading?)")
    if zlib.crc32(view) != entry.crc32:
        _failer(path)(f"arrays[{entry.index}] fails its CRC-32 check (the data is corrupt)")
    if entry.dtype.kind == "b" and view.size and view.max() > 1:
        _failer(path)(f"arrays[{entry.index}] is bool but holds bytes other than 0 and 1")
    return arr.astype(entry.dtype.newbyteorder("="), copy=False)


class _DuplicateKey(Exception):
    """A JSON object of the header names a key twice (carries the key)."""


def _no_duplicates(pairs: list) -> dict:
    """``json.loads`` hook: the object as a dict, or :class:`_DuplicateKey`."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _failer(path: str):
    def fail(what: str):
        raise ValueError(f"load: {path}: {what}") from None
    return fail


_repr = reprlib.Repr()
_repr.maxlevel, _repr.maxstring, _repr.maxother = 3, 60, 60


def show(x: Any) -> str:
    """A short repr of untrusted data (bounded length and depth: deep nesting cannot recurse)."""
    return _repr.repr(x)


__all__ = ["MAGIC", "HEADER_CAP", "DTYPES", "ArrayEntry", "write", "frame", "read_header",
           "check_arrays", "read_array", "show"]
