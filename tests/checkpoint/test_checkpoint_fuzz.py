"""Thousands of mutated files thrown at the loader: it returns the original or raises ValueError.

Derandomized (the same examples on every run, so CI is reproducible) and
sized to take a few seconds.  Two families:

* byte-level damage of a valid file (flips, truncation, extension, spliced
  garbage), of the current format and of a legacy ``.npz``: every array and
  the header carry a CRC-32, so any damage that changes what would be loaded
  is detected; the result equals the original or is a ``ValueError``;
* header rewrites with a *correct* header CRC (what a hostile writer can do):
  random dtypes, shapes, offsets, CRCs, structures and lengths.  Some rewrites
  are valid files meaning something else (e.g. float32 bytes read as int32),
  so the assertion is: ``ValueError``, or arrays exactly as the header
  describes, owning their memory; never another exception, hang or huge allocation.
"""
import pathlib

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xpnet
from crafted import assemble, assert_same, parts, sample
from xpnet import _checkpoint_file as container

FUZZ = settings(max_examples=1500, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
LEGACY = pathlib.Path(__file__).parent / "data" / "legacy-0.1.npz"


ORIGINAL = sample()
LEGACY_ORIGINAL = xpnet.load(LEGACY)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def raw(folder):
    """The bytes of the saved ``ORIGINAL``."""
    xpnet.save(ORIGINAL, folder / "original")
    return (folder / "original").read_bytes()


def _load(raw: bytes, folder):
    (folder / "mutated").write_bytes(raw)
    return xpnet.load(folder / "mutated")


damage = st.one_of(
    st.lists(st.tuples(st.integers(0, 2**31), st.integers(1, 255)), min_size=1, max_size=4)
    .map(lambda flips: ("flip", flips)),
    st.integers(0, 2**31).map(lambda n: ("truncate", n)),
    st.binary(min_size=1, max_size=64).map(lambda b: ("extend", b)),
    st.tuples(st.integers(0, 2**31), st.binary(min_size=1, max_size=16))
    .map(lambda t: ("splice", t)),
)


def _damaged(raw: bytes, how) -> bytes:
    kind, arg = how
    if kind == "flip":
        b = bytearray(raw)
        for pos, mask in arg:
            b[pos % len(b)] ^= mask
        return bytes(b)
    if kind == "truncate":
        return raw[:arg % len(raw)]
    if kind == "extend":
        return raw + arg
    pos, junk = arg
    pos %= len(raw)
    return raw[:pos] + junk + raw[pos + len(junk):]


def _equal_or_value_error(raw, original, folder):
    try:
        loaded = _load(raw, folder)
    except ValueError as e:
        assert str(e).startswith("load: ")
        return
    assert_same(loaded, original)


@FUZZ
@given(how=damage)
def test_damaged_files_load_as_the_original_or_raise_value_error(folder, raw, how):
    _equal_or_value_error(_damaged(raw, how), ORIGINAL, folder)


@settings(FUZZ, max_examples=300)
@given(how=damage)
def test_damaged_legacy_files_load_as_the_original_or_raise_value_error(folder, how):
    _equal_or_value_error(_damaged(LEGACY.read_bytes(), how), LEGACY_ORIGINAL, folder)


ints = st.one_of(st.integers(-3, 300), st.integers(-2**70, 2**70), st.sampled_from([2**63, 2**64]))
junk = st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=5), ints,
                 st.lists(ints, max_size=3))
entry_changes = st.fixed_dictionaries({}, optional={
    "dtype": st.one_of(st.sampled_from(sorted(container.DTYPES) + ["object", "<f4", "V8", ""]),
                       junk),
    "shape": st.one_of(st.lists(st.integers(0, 8), max_size=3), st.lists(ints, max_size=3), junk),
    "offsets": st.one_of(st.lists(st.integers(0, 256), min_size=2, max_size=2),
                         st.lists(ints, max_size=3), junk),
    "crc32": st.one_of(ints, junk),
})
root_changes = st.one_of(
    st.none(),
    st.recursive(st.one_of(junk, st.fixed_dictionaries({"tensor": ints}),
                           st.fixed_dictionaries({"array": ints})),
                 lambda inner: st.one_of(
                     st.fixed_dictionaries({"list": st.lists(inner, max_size=3)}),
                     st.fixed_dictionaries({"dict": st.lists(st.tuples(
                         st.one_of(st.text(max_size=2), ints), inner).map(list), max_size=3)}),
                     st.dictionaries(st.sampled_from(["tuple", "float", "x"]), inner,
                                     max_size=2)),
                 max_leaves=8))


@settings(FUZZ, max_examples=1000)
@given(changes=st.lists(st.tuples(st.integers(0, 6), entry_changes), max_size=3),
       root=root_changes, cut=st.integers(-8, 8), extra=st.sampled_from([None, "drop", "add"]))
def test_rewritten_headers_raise_value_error_or_load_as_described(folder, raw, changes, root,
                                                                  cut, extra):
    header, data = parts(raw)
    for i, fields in changes:
        header["arrays"][i % len(header["arrays"])].update(fields)
    if root is not None:
        header["root"] = root
    if extra == "drop":
        header["arrays"].pop()
    elif extra == "add":
        header["arrays"].append(dict(header["arrays"][0]))
    data = data[:len(data) + cut] if cut < 0 else data + b"\0" * cut
    try:
        loaded = _load(assemble(header, data), folder)
    except ValueError as e:
        assert str(e).startswith("load: ")
        return
    described = {i: e for i, e in enumerate(header["arrays"])}
    for leaf in _leaves(loaded):
        host = leaf.numpy() if isinstance(leaf, xpnet.Tensor) else leaf
        assert host.flags.owndata or host.base is not None and host.base.flags.owndata
        assert any(list(host.shape) == e["shape"] and host.dtype.name == e["dtype"]
                   for e in described.values())


def _leaves(obj):
    if isinstance(obj, (xpnet.Tensor, numpy.ndarray)):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _leaves(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _leaves(v)
