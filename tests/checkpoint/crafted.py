"""Build checkpoint files by hand, for the hostile-file and fuzz tests.

``parts(path)`` splits a valid file into its header (a dict) and data
section; ``assemble(header, data)`` frames a (possibly doctored) header with
a correct preamble and header CRC, so a test exercises the loader's
validation rather than stopping at the checksum.
"""
import json

import numpy

import xpnet
from xpnet import _checkpoint_file as container


def sample():
    """A small object with every kind of leaf: tensors, arrays, numbers, strings, nesting."""
    return {"w": xpnet.tensor(numpy.arange(6, dtype=numpy.float32).reshape(2, 3)),
            "mask": numpy.array([True, False, True]),
            "steps": numpy.arange(4, dtype=numpy.int64), "scalar": numpy.float64(2.5),
            "empty": numpy.zeros((0, 3), numpy.float32),
            "meta": [1, -2**70, 1.5, float("inf"), "s", None, (True, {"k": 0})]}


def parts(raw: bytes):
    """``(header dict, data bytes)`` of a valid file's bytes."""
    n = int.from_bytes(raw[8:16], "little")
    return json.loads(raw[24:24 + n]), raw[24 + n:]


def assemble(header, data: bytes = b"") -> bytes:
    """A file with ``header`` (a dict, or raw bytes used as they are) and ``data``."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return container.frame(text) + data


def assert_same(loaded, original):
    """Equal structure, types, dtypes, shapes and values (tensors compared on the host)."""
    if isinstance(original, xpnet.Tensor):
        assert isinstance(loaded, xpnet.Tensor) and loaded.dtype == original.dtype
        numpy.testing.assert_array_equal(loaded.numpy(), original.numpy())
    elif isinstance(original, numpy.ndarray):
        assert isinstance(loaded, numpy.ndarray) and loaded.dtype == original.dtype.newbyteorder("=")
        assert loaded.shape == original.shape
        numpy.testing.assert_array_equal(loaded, original)
    elif isinstance(original, numpy.generic):
        assert loaded == original.item() and type(loaded) is type(original.item())
    elif isinstance(original, dict):
        assert isinstance(loaded, dict) and list(loaded) == list(original)
        for k in original:
            assert_same(loaded[k], original[k])
    elif isinstance(original, (list, tuple)):
        assert type(loaded) is type(original) and len(loaded) == len(original)
        for a, b in zip(loaded, original):
            assert_same(a, b)
    elif isinstance(original, float):  # repr tells nan, inf and -0.0 apart
        assert type(loaded) is float and repr(loaded) == repr(original)
    else:
        assert type(loaded) is type(original) and loaded == original


def assert_refused_without_allocating(path, limit=2**20):
    """``xpnet.load(path)`` raises its ``ValueError`` while allocating less than ``limit``
    bytes at its peak: a size the file claims is checked before anything that size exists."""
    import tracemalloc

    import pytest
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=f"^load: {path}: "):
            xpnet.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit, f"loading {path} allocated {peak} bytes before refusing it"
