"""Truncated, corrupted and hostile files: a ValueError that says what is wrong, nothing else.

Each case doctors one part of a valid file (``crafted.parts``/``assemble``
recompute the header CRC, so the loader's validation itself is exercised,
not just the checksum).
"""
import copy
import json
import os

import pytest

import xpnet
from crafted import assemble, assert_refused_without_allocating, parts, sample
from xpnet import _checkpoint_file as container


@pytest.fixture
def valid(tmp_path):
    """``(header dict, data bytes)`` of a valid checkpoint of ``crafted.sample()``."""
    xpnet.save(sample(), tmp_path / "valid")
    return parts((tmp_path / "valid").read_bytes())


def _doctor(header, data, change):
    h = copy.deepcopy(header)
    return change(h, data)


def _array(h, i, **fields):
    h["arrays"][i].update(fields)
    return h


FLOAT32 = 0  # arrays[0] is the 2x3 float32 tensor "w" (24 bytes at offset 0)
HEADER_CASES = {
    "overlapping offsets": (lambda h, d: assemble(_array(h, 1, offsets=[8, 11]), d),
                            r"arrays\[0\] and arrays\[1\] overlap"),
    "offsets past the end": (lambda h, d: assemble(_array(h, 0, offsets=[len(d), len(d) + 24]), d),
                             r"arrays\[0\] ends at byte \d+ of the data section, which has only"),
    "negative offset": (lambda h, d: assemble(_array(h, 0, offsets=[-24, 0]), d), "has offsets"),
    "reversed offsets": (lambda h, d: assemble(_array(h, 0, offsets=[24, 0]), d), "has offsets"),
    "unknown dtype": (lambda h, d: assemble(_array(h, 0, dtype="object"), d),
                      r"arrays\[0\] has dtype 'object'; known dtypes: bool, int8"),
    "dtype with byte order": (lambda h, d: assemble(_array(h, 0, dtype=">f4"), d), "has dtype"),
    "dtype not a string": (lambda h, d: assemble(_array(h, 0, dtype=["float32"]), d), "has dtype"),
    "shape/size mismatch": (lambda h, d: assemble(_array(h, 0, shape=[2, 2]), d),
                            r"shape \(2, 2\) of float32 \(16 bytes\) but its offsets span 24"),
    "negative shape": (lambda h, d: assemble(_array(h, 0, shape=[-2, -3]), d),
                       "non-negative ints"),
    "float in shape": (lambda h, d: assemble(_array(h, 0, shape=[2.0, 3]), d), "non-negative ints"),
    "bool in shape": (lambda h, d: assemble(_array(h, 0, shape=[True, 6]), d), "non-negative ints"),
    "too many dims": (lambda h, d: assemble(_array(h, 0, shape=[1] * 65), d), "at most 64"),
    "huge shape": (lambda h, d: assemble(_array(h, 0, shape=[2**40, 2**40, 2**40]), d),
                   "more than the file holds"),
    "zero-size array with huge dims": (lambda h, d: assemble(_array(h, 0, shape=[0, 2**64],
                                                                   offsets=[0, 0]), d),
                                       r"has shape \[0, 18446744073709551616\], more than any"),
    "zero-size array whose dims overflow": (lambda h, d: assemble(
        _array(h, 0, shape=[0] + [2**40] * 3, offsets=[0, 0]), d), "more than any array"),
    "missing field": (lambda h, d: assemble({**h, "arrays": [{"dtype": "int8"}]}, d),
                      r"arrays\[0\] must be a dict with keys"),
    "arrays not a list": (lambda h, d: assemble({**h, "arrays": {"0": 1}}, d), "must be a list"),
    "referenced array missing": (lambda h, d: assemble({**h, "root": {"tensor": 99}}, d),
                                 "refers to array 99, which the file does not hold"),
    "bool as array index": (lambda h, d: assemble({**h, "root": {"tensor": True}}, d),
                            "refers to array True"),
    "unknown kind": (lambda h, d: assemble({**h, "root": {"pickle": "os.system"}}, d),
                     "unknown or malformed structure entry"),
    "malformed float": (lambda h, d: assemble({**h, "root": {"float": "1.2.3"}}, d),
                        "malformed float '1.2.3'"),
    "duplicate dict key": (lambda h, d: assemble({**h, "root": {"dict": [["a", 1], ["a", 2]]}}, d),
                           "key 'a' twice"),
    "malformed dict item": (lambda h, d: assemble({**h, "root": {"dict": [["a"]]}}, d),
                            "malformed dict item"),
    "no root": (lambda h, d: assemble({k: v for k, v in h.items() if k != "root"}, d),
                "no 'root'"),
    "structure too deep": (lambda h, d: assemble({**h, "root": json.loads('{"list": [' * 150
                                                                         + "]}" * 150)}, d),
                           "nested more than 100 levels"),
    "newer version": (lambda h, d: assemble({**h, "version": 3}, d),
                      "unsupported format version 3"),
    "foreign header": (lambda h, d: assemble({"__metadata__": {}}, d), "not an xpnet.checkpoint"),
    "trailing bytes": (lambda h, d: assemble(h, d + b"\0" * 8), "trailing bytes"),
    "truncated data": (lambda h, d: assemble(h, d[:-1]), "truncated"),
    "non-UTF-8 header": (lambda h, d: assemble(b'{"format": "\xff"}', d), "not UTF-8"),
    "duplicate JSON key": (lambda h, d: assemble(
        json.dumps(h).encode()[:-1] + b', "root": {"float": "1"}}', d), "key 'root' twice"),
    "duplicate JSON key in an array entry": (lambda h, d: assemble(
        json.dumps(h).replace('"dtype": "float32"', '"dtype": "float32", "dtype": "int32"', 1)
        .encode(), d), "key 'dtype' twice"),
    "invalid JSON": (lambda h, d: assemble(b'{"format": ', d), "not valid JSON"),
    "JSON nested too deeply": (lambda h, d: assemble(b"[" * 200_000 + b"]" * 200_000, d),
                               "nested too deeply"),
    "integer of 5000 digits": (lambda h, d: assemble(b"[" + b"9" * 5000 + b"]", d),
                               "not valid JSON"),
    "bool bytes other than 0/1": (lambda h, d: _bool_byte(h, d), "bool but holds bytes"),
}


def _bool_byte(h, d):
    """Set a byte of the bool array "mask" (arrays[1]) to 2 and fix its CRC: a hostile, consistent file."""
    begin, end = h["arrays"][1]["offsets"]
    d = d[:begin] + b"\x02" + d[begin + 1:]
    import zlib
    return assemble(_array(h, 1, crc32=zlib.crc32(d[begin:end])), d)


@pytest.mark.parametrize("case", sorted(HEADER_CASES))
def test_a_doctored_header_is_a_value_error_that_says_what_is_wrong(tmp_path, valid, case):
    change, message = HEADER_CASES[case]
    path = tmp_path / "bad"
    path.write_bytes(_doctor(*valid, change))
    with pytest.raises(ValueError, match=f"^load: {path}: .*{message}"):
        xpnet.load(path)


def _raw(valid):
    return assemble(*valid)


RAW_CASES = {
    "empty file": (lambda raw: b"", "not an xpnet checkpoint"),
    "cut in the magic": (lambda raw: raw[:5], "not an xpnet checkpoint"),
    "cut in the preamble": (lambda raw: raw[:12], "shorter than the 24-byte preamble"),
    "cut in the header": (lambda raw: raw[:100], "claims a .*-byte header but only 76 bytes"),
    "absurd header length": (lambda raw: raw[:8] + (2**62).to_bytes(8, "little") + raw[16:],
                             "claims a 4611686018427387904-byte header"),
    "flipped header byte": (lambda raw: raw[:40] + bytes([raw[40] ^ 1]) + raw[41:],
                            "header's CRC-32 does not match"),
    "flipped data byte": (lambda raw: raw[:-192] + bytes([raw[-192] ^ 0x10]) + raw[-191:],
                          r"arrays\[0\] fails its CRC-32 check"),
    "reserved field set": (lambda raw: raw[:20] + b"\1" + raw[21:], "reserved preamble field"),
    "text file": (lambda raw: b"hello world, not a checkpoint", "not an xpnet checkpoint"),
}


@pytest.mark.parametrize("case", sorted(RAW_CASES))
def test_a_damaged_file_is_a_value_error_that_says_what_is_wrong(tmp_path, valid, case):
    change, message = RAW_CASES[case]
    path = tmp_path / "bad"
    path.write_bytes(change(_raw(valid)))
    with pytest.raises(ValueError, match=f"^load: {path}: .*{message}"):
        xpnet.load(path)


def test_a_header_over_the_cap_is_refused_before_it_is_read(tmp_path, valid, monkeypatch):
    path = tmp_path / "bad"
    path.write_bytes(_raw(valid))
    monkeypatch.setattr(container, "HEADER_CAP", 64)
    with pytest.raises(ValueError, match="over the 64-byte limit"):
        xpnet.load(path)
    with pytest.raises(ValueError, match="^save: .*over the 64-byte limit"):
        xpnet.save(sample(), tmp_path / "too-big")


@pytest.mark.parametrize("claim", [
    lambda h, d: assemble({**h, "root": {"array": 0}, "arrays": [
        {"dtype": "float64", "shape": [2**57], "offsets": [0, 2**60], "crc32": 0}]}, d),
    lambda h, d: assemble({**h, "root": {"array": 0}, "arrays": [
        {"dtype": "uint8", "shape": [2**60], "offsets": [0, len(d)], "crc32": 0}]}, d),
    lambda h, d: assemble(h, d)[:8] + (2**62).to_bytes(8, "little") + assemble(h, d)[16:],
])
def test_claimed_sizes_are_never_allocated(tmp_path, valid, claim):
    path = tmp_path / "bad"
    path.write_bytes(_doctor(*valid, claim))
    assert_refused_without_allocating(path)  # the file is ~1 KiB; up to 2**62 bytes claimed


def test_load_of_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        xpnet.load(tmp_path / "nope")


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_load_of_a_folder_or_fifo_is_a_value_error_not_a_hang(tmp_path, kind):
    path = tmp_path / "special"
    if kind == "folder":
        path.mkdir()
    else:
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this platform")
        os.mkfifo(path)  # no writer: a blocking open() would wait forever
    with pytest.raises(ValueError, match=f"^load: {path}: not a regular file"):
        xpnet.load(path)
