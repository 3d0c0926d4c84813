"""xpnet.save / xpnet.load round trips: every dtype and layout, nesting, every backend pair."""
import os

import numpy
import pytest

import xpnet
from backends import require_backend
from crafted import assert_same, parts, sample
from xpnet import _checkpoint_file as container
from xpnet.backend import backend_names

DTYPES = sorted(container.DTYPES)


def _values(dtype):
    """A 2x3 array of ``dtype`` with its extreme values (and inf/nan for floats)."""
    dt = numpy.dtype(dtype)
    if dt.kind == "b":
        return numpy.array([[True, False, True], [False, False, True]])
    info = numpy.finfo(dt) if dt.kind == "f" else numpy.iinfo(dt)
    extra = [numpy.inf, numpy.nan] if dt.kind == "f" else [0, 1]
    return numpy.array([[info.min, info.max, 1], [-1 if dt.kind != "u" else 2, *extra]], dtype=dt)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_round_trips_bit_for_bit(tmp_path, dtype):
    a = _values(dtype)
    xpnet.save({"a": a, "zero_d": a[:1, :1].reshape(()), "empty": a[:0]}, tmp_path / "c")
    out = xpnet.load(tmp_path / "c")
    for key, original in [("a", a), ("zero_d", a[:1, :1].reshape(())), ("empty", a[:0])]:
        assert out[key].dtype == original.dtype and out[key].shape == original.shape
        assert out[key].tobytes() == original.tobytes()  # nan payloads and -0.0 included
        assert out[key].flags.owndata and out[key].flags.writeable


def test_non_contiguous_and_big_endian_arrays_are_saved_as_their_values(tmp_path):
    base = numpy.arange(24, dtype=numpy.float64).reshape(4, 6)
    big = numpy.arange(5, dtype=">i4")
    xpnet.save({"t": base.T, "step": base[::2, 1::3], "big": big}, tmp_path / "c")
    out = xpnet.load(tmp_path / "c")
    numpy.testing.assert_array_equal(out["t"], base.T)
    numpy.testing.assert_array_equal(out["step"], base[::2, 1::3])
    assert out["big"].dtype == numpy.dtype("int32") and out["big"].dtype.isnative
    numpy.testing.assert_array_equal(out["big"], big)
    header, data = parts((tmp_path / "c").read_bytes())
    begin, end = header["arrays"][2]["offsets"]
    assert data[begin:end] == numpy.arange(5, dtype="<i4").tobytes()  # little-endian on disk


def test_nested_structures_keep_types_order_and_special_values(tmp_path):
    obj = sample()
    xpnet.save(obj, tmp_path / "c")
    out = xpnet.load(tmp_path / "c")
    assert_same(out, obj)
    assert_same(out["meta"][3], float("inf"))
    assert xpnet.load(tmp_path / "c")["meta"][1] == -2**70   # big ints are exact


@pytest.mark.parametrize("obj", [None, 3, "text", "é€😀", "\ud800", [], {}, (), float("nan"),
                                 -0.0, {1: {2: [3]}}])
def test_plain_values_round_trip(tmp_path, obj):
    xpnet.save(obj, tmp_path / "c")
    assert_same(xpnet.load(tmp_path / "c"), obj)


def test_the_data_is_aligned_and_the_name_is_kept(tmp_path):
    xpnet.save({"a": numpy.ones(3, numpy.int8), "b": numpy.ones(5)}, tmp_path / "mixed")
    raw = (tmp_path / "mixed").read_bytes()
    header, data = parts(raw)
    assert (len(raw) - len(data)) % 64 == 0
    assert [e["offsets"][0] % 64 for e in header["arrays"]] == [0, 0]
    assert os.listdir(tmp_path) == ["mixed"]  # the exact name: nothing appended, no temp left


@pytest.mark.parametrize("source", backend_names())
@pytest.mark.parametrize("target", backend_names())
def test_saved_on_one_backend_loads_on_any_other(tmp_path, source, target):
    require_backend(source)
    require_backend(target)
    values = numpy.linspace(-1, 1, 6).reshape(2, 3)
    with xpnet.use_backend(source):
        obj = {"f32": xpnet.tensor(values.astype(numpy.float32)), "f64": xpnet.tensor(values),
               "i64": xpnet.tensor(numpy.arange(4)), "b": xpnet.tensor(numpy.array([True, False]))}
    xpnet.save(obj, tmp_path / "c")
    out = xpnet.load(tmp_path / "c", backend=target)
    for key, t in obj.items():
        assert out[key].backend.name == target and out[key].dtype == t.dtype
        numpy.testing.assert_array_equal(out[key].numpy(), t.numpy())


def test_unsupported_objects_are_refused_before_writing(tmp_path):
    path = tmp_path / "x"
    with pytest.raises(TypeError, match=r"obj\['f'\] is a function"):
        xpnet.save({"f": lambda: 0}, path)
    with pytest.raises(TypeError, match="keys must be str or int"):
        xpnet.save({(1, 2): 0}, path)
    with pytest.raises(TypeError, match=r"obj\[0\] is an array of dtype complex128"):
        xpnet.save([numpy.zeros(2, complex)], path)
    with pytest.raises(ValueError, match=r"obj\['n'\] is an int of 16610 bits; .* at most 14000"):
        xpnet.save({"n": 10**5000}, path)  # JSON could not read it back (4300-digit limit)
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        xpnet.save(loop, path)
    assert os.listdir(tmp_path) == []


def test_the_largest_int_round_trips_and_a_bad_backend_is_refused_without_tensors(tmp_path):
    xpnet.save({"n": -(2**14000 - 1)}, tmp_path / "c")
    assert xpnet.load(tmp_path / "c")["n"] == -(2**14000 - 1)
    with pytest.raises(ValueError, match="backend name must be one of .*got 'nope'"):
        xpnet.load(tmp_path / "c", backend="nope")


def test_save_into_a_missing_folder_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"save: the folder '.*nope' of .* does not exist"):
        xpnet.save({}, tmp_path / "nope" / "c.xpt")
    assert os.listdir(tmp_path) == []
