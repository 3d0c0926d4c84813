"""Declarative op records (after PyTorch's OpInfo): what each autograd op is checked on.

Every differentiable op declares

* ``samples``: inputs covering broadcasting, 0-d tensors, negative dims,
  ``keepdim``, Python-scalar operands, ties and kinks;
* ``ref``: an independent NumPy reference computed in float64;
* ``errors``: inputs it must reject, with the exception type and a fragment
  of the message.

The generic checks in :mod:`op_checks` run every record on every backend:
reference parity (float32 and float64, contiguous and strided inputs), dtype
preservation, gradcheck in float64, strided grads == contiguous grads, inputs
never modified, and the errors.

How sample arguments become op arguments (:func:`materialize`):
a floating ``ndarray`` becomes a leaf Tensor of the test dtype with
``requires_grad=True``; an integer or boolean ``ndarray`` a constant Tensor
(indices, masks, conditions); a ``list`` of ndarrays a list of Tensors; any
other value (Python scalars, slices, dims) is passed through unchanged.
The reference receives the same values as float64 NumPy arrays (after
rounding to the test dtype, so both sides see identical inputs).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Tuple

import numpy

import xpnet
from xpnet.autograd.ops import unary

f64 = numpy.float64


@dataclass(frozen=True)
class Sample:
    name: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    #: False at ties and kinks, where central differences straddle two branches
    #: and cannot agree with any one-sided convention (those are tested against
    #: PyTorch's conventions in the family's test module instead)
    gradcheck: bool = True


@dataclass(frozen=True)
class ErrorCase:
    name: str
    args: tuple
    kwargs: dict
    exc: type
    match: str


@dataclass(frozen=True)
class OpRecord:
    name: str
    family: str  # "arith", "reduce", "shape" or "unary": the test module that runs it
    op: Callable
    ref: Callable
    samples: Tuple[Sample, ...]
    errors: Tuple[ErrorCase, ...] = ()
    #: test dtype -> expected output dtype (default: unchanged)
    out_dtype: Optional[Callable[[numpy.dtype], numpy.dtype]] = None


# ---------------------------------------------------------------------- #
# sample values: deterministic per record, small (gradcheck costs 2 forwards per element)
# ---------------------------------------------------------------------- #
class Values:
    """Host float64 test values from a generator seeded by the record name."""

    def __init__(self, name: str):
        self.rng = numpy.random.default_rng(zlib.crc32(name.encode()))

    # numpy.asarray: shape () must give a 0-d array, not a NumPy scalar
    def normal(self, *shape):
        return numpy.asarray(self.rng.standard_normal(shape))

    def positive(self, *shape):
        """In [0.5, 2]: log, sqrt, and pow bases stay well inside their domain."""
        return numpy.asarray(self.rng.uniform(0.5, 2.0, shape))

    def away_from_zero(self, *shape):
        """|v| in [0.3, 2]: denominators and abs/sign kinks stay 0.3 away from 0."""
        return numpy.asarray(self.rng.uniform(0.3, 2.0, shape) * self.rng.choice([-1.0, 1.0], shape))

    def mask(self, *shape):
        return numpy.asarray(self.rng.random(shape) < 0.5)


def _axis(dim, ndim):
    """PyTorch ``dim`` as a NumPy ``axis`` (a 0-d tensor accepts dim 0 / -1)."""
    return None if ndim == 0 else dim


def _ref_reduce(fn):
    def ref(x, dim=None, keepdim=False):
        return fn(x, axis=_axis(dim, x.ndim), keepdims=keepdim)
    return ref


def _ref_pad(x, pad, value=0.0):
    """Independent reference: numpy.pad with the positive amounts, then slice off the negative ones."""
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    grown = numpy.pad(x, [(max(b, 0), max(a, 0)) for b, a in widths], constant_values=value)
    crop = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(grown.shape, widths))
    return grown[crop]


def _ref_flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


def _ref_squeeze(x, dim=None):
    if dim is None:
        return numpy.squeeze(x)
    return numpy.squeeze(x, axis=dim) if x.shape[dim] == 1 else x


def _values_of(result):
    """``max``/``min`` with a dim return (values, indices); the records check the values."""
    return result.values if isinstance(result, tuple) else result


def _err(name, args, exc, match, **kwargs):
    return ErrorCase(name, args, kwargs, exc, match)


# ---------------------------------------------------------------------- #
# records, one family per test module
# ---------------------------------------------------------------------- #
def _binary_samples(v: Values, b: Callable):
    """Same shape, broadcasting both ways, 0-d, Python float and int operands on either side."""
    return (
        Sample("same_shape", (v.normal(3, 4), b(3, 4))),
        Sample("broadcast", (v.normal(2, 3, 1), b(3, 4))),
        Sample("zero_d", (v.normal(), b(3))),
        Sample("py_float_right", (v.normal(3, 4), 1.5 if b is v.normal else 0.75)),
        Sample("py_int_right", (v.normal(3, 4), 2)),
        Sample("py_float_left", (1.25, b(2, 3))),
    )


def _arith_records():
    recs = []
    for name, fn in (("add", lambda a, b: a + b), ("sub", lambda a, b: a - b),
                     ("mul", lambda a, b: a * b), ("div", lambda a, b: a / b)):
        v = Values(name)
        second = v.away_from_zero if name == "div" else v.normal
        recs.append(OpRecord(name, "arith", fn, fn, _binary_samples(v, second), errors=(
            _err("shapes_do_not_broadcast", (v.normal(3, 4), v.normal(5)), ValueError, "broadcast"),
        )))
    v = Values("pow")
    recs.append(OpRecord("pow", "arith", lambda a, b: a ** b, lambda a, b: a ** b, (
        Sample("int_exponent", (v.normal(3, 4), 3)),
        Sample("float_exponent", (v.positive(3, 4), 0.5)),
        Sample("negative_exponent", (v.positive(2, 3), -1.5)),
        Sample("zero_exponent_at_zero", (numpy.array([0.0, 1.5, -2.0]), 0)),
        Sample("tensor_exponent", (v.positive(2, 3), v.normal(2, 3))),
        Sample("tensor_exponent_broadcast", (v.positive(2, 1), v.normal(4))),
        Sample("scalar_base", (2.0, v.normal(3, 4))),
    )))
    v = Values("neg")
    recs.append(OpRecord("neg", "arith", lambda a: -a, lambda a: -a, (
        Sample("matrix", (v.normal(3, 4),)), Sample("zero_d", (v.normal(),)))))
    v = Values("matmul")
    recs.append(OpRecord("matmul", "arith", lambda a, b: a @ b, lambda a, b: a @ b, (
        Sample("vec_vec", (v.normal(4), v.normal(4))),
        Sample("mat_mat", (v.normal(3, 4), v.normal(4, 5))),
        Sample("vec_mat", (v.normal(4), v.normal(4, 5))),
        Sample("mat_vec", (v.normal(3, 4), v.normal(4))),
        Sample("batched", (v.normal(2, 3, 4), v.normal(2, 4, 2))),
        Sample("batch_broadcast", (v.normal(2, 1, 3, 4), v.normal(3, 4, 2))),
        Sample("mat_batched", (v.normal(3, 4), v.normal(2, 4, 2))),
        Sample("vec_batched", (v.normal(4), v.normal(2, 4, 3))),
        Sample("batched_vec", (v.normal(2, 3, 4), v.normal(4))),
    ), errors=(
        _err("inner_mismatch", (v.normal(3, 4), v.normal(5, 2)), ValueError, "inner dimensions"),
        _err("zero_d", (v.normal(), v.normal(3)), ValueError, "at least 1 dimension"),
        _err("python_scalar", (v.normal(3), 2.0), TypeError, "two tensors"),
    )))
    return recs


def _reduce_records():
    recs = []
    for name, fn in (("sum", numpy.sum), ("mean", numpy.mean)):
        v = Values(name)
        method = (lambda x, **kw: x.sum(**kw)) if name == "sum" else (lambda x, **kw: x.mean(**kw))
        recs.append(OpRecord(name, "reduce", method, _ref_reduce(fn), (
            Sample("all", (v.normal(3, 4),)),
            Sample("dim", (v.normal(3, 4),), dict(dim=1)),
            Sample("negative_dim_keepdim", (v.normal(2, 3, 4),), dict(dim=-2, keepdim=True)),
            Sample("dims_tuple", (v.normal(2, 3, 4),), dict(dim=(0, 2))),
            Sample("zero_d", (v.normal(),)),
            Sample("zero_d_dim", (v.normal(),), dict(dim=0)),
        ), errors=(
            _err("dim_out_of_range", (v.normal(3, 4),), ValueError, "dim must be an int", dim=2),
            _err("repeated_dims", (v.normal(3, 4),), ValueError, "repeated", dim=(0, -2)),
        )))
    for name, fn in (("max", numpy.max), ("min", numpy.min)):
        v = Values(name)
        method = ((lambda x, **kw: _values_of(x.max(**kw))) if name == "max"
                  else (lambda x, **kw: _values_of(x.min(**kw))))
        ties = numpy.array([[1.0, 3.0, 3.0, -1.0], [-2.0, -2.0, 0.5, -2.0]])
        recs.append(OpRecord(name, "reduce", method, _ref_reduce(fn), (
            Sample("all", (v.normal(3, 4),)),
            Sample("dim", (v.normal(3, 4),), dict(dim=1)),
            Sample("negative_dim_keepdim", (v.normal(2, 3, 4),), dict(dim=-1, keepdim=True)),
            Sample("zero_d", (v.normal(),)),
            Sample("zero_d_dim", (v.normal(),), dict(dim=0)),
            Sample("ties_all", (ties,), gradcheck=False),
            Sample("ties_dim", (ties,), dict(dim=1), gradcheck=False),
        ), errors=(
            _err("empty", (numpy.zeros((0, 3)),), ValueError, "empty"),
            _err("dim_out_of_range", (v.normal(3, 4),), ValueError, "dim must be an int", dim=-3),
        )))
    return recs


def _shape_records():
    v = Values("shape")
    n = v.normal
    return [
        OpRecord("reshape", "shape", lambda x, s: x.reshape(*s), lambda x, s: x.reshape(s), (
            Sample("matrix", (n(3, 4), (2, 6))),
            Sample("infer", (n(3, 4), (2, -1, 2))),
            Sample("flat", (n(2, 3), (-1,))),
            Sample("zero_d_to_1", (n(), (1,))),
            Sample("one_to_zero_d", (n(1), ())),
        ), errors=(
            _err("wrong_size", (n(3, 4), (5,)), ValueError, "cannot view"),
            _err("two_minus_one", (n(3, 4), (-1, -1)), ValueError, "cannot view"),
        )),
        OpRecord("transpose", "shape", lambda x, a, b: x.transpose(a, b),
                 lambda x, a, b: numpy.swapaxes(x, a, b), (
                     Sample("matrix", (n(3, 4), 0, 1)),
                     Sample("negative", (n(2, 3, 4), 0, -1)),
                     Sample("same_dim", (n(2, 3), 1, 1)),
                 ), errors=(
                     _err("dim_out_of_range", (n(3, 4), 0, 2), ValueError, "dim1"),
                 )),
        OpRecord("permute", "shape", lambda x, *d: x.permute(*d),
                 lambda x, *d: numpy.transpose(x, d), (
                     Sample("cycle", (n(2, 3, 4), 2, 0, 1)),
                     Sample("negative", (n(2, 3, 4), -1, 0, 1)),
                 ), errors=(
                     _err("too_few", (n(2, 3, 4), 0, 1), ValueError, "permutation"),
                     _err("repeated", (n(2, 3, 4), 0, 0, 1), ValueError, "permutation"),
                     _err("out_of_range", (n(2, 3, 4), 0, 1, 5), ValueError, "permutation"),
                 )),
        OpRecord("flatten", "shape", lambda x, **kw: x.flatten(**kw), _ref_flatten, (
            Sample("all", (n(2, 3, 4),)),
            Sample("from_1", (n(2, 3, 4),), dict(start_dim=1)),
            Sample("middle", (n(2, 3, 4, 2),), dict(start_dim=1, end_dim=-2)),
            Sample("zero_d", (n(),)),
        ), errors=(
            _err("start_after_end", (n(2, 3, 4),), ValueError, "start_dim", start_dim=2,
                 end_dim=1),
        )),
        OpRecord("unsqueeze", "shape", lambda x, d: x.unsqueeze(d),
                 lambda x, d: numpy.expand_dims(x, d), (
                     Sample("front", (n(3, 4), 0)),
                     Sample("back", (n(3, 4), -1)),
                     Sample("middle", (n(3, 4), 1)),
                     Sample("zero_d", (n(), 0)),
                 ), errors=(
                     _err("dim_out_of_range", (n(3, 4), 3), ValueError, "dim must be an int"),
                 )),
        OpRecord("squeeze", "shape", lambda x, **kw: x.squeeze(**kw), _ref_squeeze, (
            Sample("all", (n(1, 3, 1),)),
            Sample("dim", (n(1, 3, 1),), dict(dim=0)),
            Sample("negative_dim", (n(1, 3, 1),), dict(dim=-1)),
            Sample("not_size_one", (n(1, 3, 1),), dict(dim=1)),
        ), errors=(
            _err("dim_out_of_range", (n(1, 3),), ValueError, "dim must be an int", dim=2),
        )),
        OpRecord("getitem", "shape", lambda x, i: x[i], lambda x, i: x[i], (
            Sample("int", (n(3, 4), 1)),
            Sample("negative_int", (n(3, 4), -1)),
            Sample("slices_with_step", (n(3, 4), (slice(1, None), slice(None, None, 2)))),
            Sample("ellipsis", (n(2, 3, 4), (Ellipsis, -1))),
            Sample("new_axis", (n(3, 4), (None, 0))),
            Sample("int_array_repeats", (n(4, 3), numpy.array([2, 0, 2, -1, 2]))),
            Sample("bool_mask", (n(3, 4), Values("mask").mask(3, 4))),
        ), errors=(
            _err("out_of_range", (n(3, 4), 5), IndexError, "out of bounds"),
        )),
        OpRecord("cat", "shape", lambda ts, **kw: xpnet.cat(ts, **kw),
                 lambda ts, dim=0: numpy.concatenate(ts, axis=dim), (
                     Sample("dim0", ([n(2, 3), n(4, 3)],)),
                     Sample("dim1_three", ([n(2, 3), n(2, 1), n(2, 2)],), dict(dim=1)),
                     Sample("negative_dim", ([n(2, 2, 3), n(2, 2, 1)],), dict(dim=-1)),
                     Sample("single", ([n(3)],)),
                 ), errors=(
                     _err("empty", ([],), ValueError, "at least one"),
                     _err("shape_mismatch", ([n(2, 3), n(2, 4)],), ValueError,
                          "concatenation axis"),
                 )),
        OpRecord("stack", "shape", lambda ts, **kw: xpnet.stack(ts, **kw),
                 lambda ts, dim=0: numpy.stack(ts, axis=dim), (
                     Sample("dim0", ([n(2, 3), n(2, 3), n(2, 3)],)),
                     Sample("dim1", ([n(2, 3), n(2, 3)],), dict(dim=1)),
                     Sample("negative_dim", ([n(2, 3), n(2, 3)],), dict(dim=-1)),
                     Sample("zero_d", ([n(), n(), n()],)),
                 ), errors=(
                     _err("empty", ([],), ValueError, "at least one"),
                     _err("shape_mismatch", ([n(2, 3), n(3, 2)],), ValueError,
                          "concatenation axis"),
                 )),
        OpRecord("pad", "shape", lambda x, p, **kw: xpnet.pad(x, p, **kw), _ref_pad, (
            Sample("last_axis", (n(2, 3), (1, 2))),
            Sample("two_axes", (n(2, 3, 4), (1, 0, 2, 1))),
            Sample("crop", (n(3, 4), (-1, 1))),
            Sample("crop_and_pad", (n(3, 4), (1, -2, -1, 0))),
            Sample("value", (n(2, 3), (1, 1, 1, 1)), dict(value=1.5)),
        ), errors=(
            _err("odd_length", (n(2, 3), (1,)), ValueError, "even number"),
            _err("too_long", (n(2, 3), (1, 1, 1, 1, 1, 1)), ValueError, "even number"),
            _err("crop_too_much", (n(2, 4), (-3, -2)), ValueError, "negative size"),
        )),
    ]


def _unary_records():
    recs = []
    for name, op, ref, domain in (
            ("exp", lambda x: x.exp(), numpy.exp, "normal"),
            ("log", lambda x: x.log(), numpy.log, "positive"),
            ("sqrt", lambda x: x.sqrt(), numpy.sqrt, "positive"),
            ("abs", lambda x: x.abs(), numpy.abs, "away_from_zero"),
            ("tanh", lambda x: x.tanh(), numpy.tanh, "normal"),
            ("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + numpy.exp(-x)), "normal")):
        v = Values(name)
        draw = getattr(v, domain)
        samples = [Sample("matrix", (draw(3, 4),)), Sample("zero_d", (draw(),))]
        if name == "abs":
            samples.append(Sample("at_zero", (numpy.array([0.0, -1.0, 2.0]),), gradcheck=False))
        if name in ("sigmoid", "tanh"):  # saturated: exp(-x) overflows float32 in a naive sigmoid
            samples.append(Sample("saturated", (numpy.array([-100.0, -30.0, 30.0, 100.0]),)))
        recs.append(OpRecord(name, "unary", op, ref, tuple(samples)))

    v = Values("clip")
    recs.append(OpRecord("clip", "unary", lambda x, **kw: x.clip(**kw),
                         lambda x, min=None, max=None: numpy.clip(x, min, max), (
                             Sample("both", (v.normal(3, 4),), dict(min=-0.5, max=0.5)),
                             Sample("min_only", (v.normal(3, 4),), dict(min=0.0)),
                             Sample("max_only", (v.normal(3, 4),), dict(max=0.25)),
                             Sample("at_bounds", (numpy.array([-1.0, 0.0, 1.0, 2.0]),),
                                    dict(min=0.0, max=1.0), gradcheck=False),
                         ), errors=(
                             _err("no_bounds", (v.normal(3),), ValueError, "at least one"),
                             _err("min_above_max", (v.normal(3),), ValueError, "min <= max",
                                  min=1.0, max=0.0),
                         )))
    v = Values("where")
    recs.append(OpRecord("where", "unary", xpnet.where, numpy.where, (
        Sample("same_shape", (v.mask(3, 4), v.normal(3, 4), v.normal(3, 4))),
        Sample("broadcast", (v.mask(3, 1), v.normal(1, 4), v.normal(3, 4))),
        Sample("scalar_other", (v.mask(3, 4), v.normal(3, 4), 0.0)),
        Sample("scalar_first", (v.mask(2, 3), -1.0, v.normal(2, 3))),
    ), errors=(
        _err("shapes_do_not_broadcast", (v.mask(3, 4), v.normal(3, 4), v.normal(5)), ValueError,
             "broadcast"),
    )))
    for name, op, ref in (("maximum", xpnet.maximum, numpy.maximum),
                          ("minimum", xpnet.minimum, numpy.minimum)):
        v = Values(name)
        tie_a, tie_b = numpy.array([1.0, 2.0, -1.0, 0.5]), numpy.array([1.0, 3.0, -1.0, 0.0])
        recs.append(OpRecord(name, "unary", op, ref, (
            Sample("same_shape", (v.normal(3, 4), v.normal(3, 4))),
            Sample("broadcast", (v.normal(3, 1), v.normal(4))),
            Sample("scalar", (v.away_from_zero(3, 4), 0.0)),
            Sample("scalar_first", (0.25, v.normal(2, 3))),
            Sample("ties", (tie_a, tie_b), gradcheck=False),
        ), errors=(
            _err("shapes_do_not_broadcast", (v.normal(3, 4), v.normal(5)), ValueError,
                 "broadcast"),
        )))
    v = Values("astype")
    for target in (numpy.dtype("float32"), numpy.dtype("float64")):
        recs.append(OpRecord(f"astype_{target.name}", "unary",
                             lambda x, _t=target: unary.astype(x, _t),
                             lambda x, _t=target: x.astype(_t), (
                                 Sample("matrix", (v.normal(3, 4),),
                                        # float64 -> float32 -> float64 rounds away the
                                        # 1e-6 steps of the finite differences
                                        gradcheck=target == numpy.float64),
                                 Sample("zero_d", (v.normal(),),
                                        gradcheck=target == numpy.float64),
                             ), out_dtype=lambda d, _t=target: _t))
    return recs


RECORDS = _arith_records() + _reduce_records() + _shape_records() + _unary_records()


def records(family: str):
    return [r for r in RECORDS if r.family == family]


# ---------------------------------------------------------------------- #
# turning a sample into tensors on the current backend
# ---------------------------------------------------------------------- #
def strided_array(backend, host: numpy.ndarray):
    """The values of ``host`` as a non-contiguous array of ``backend``.

    ndim >= 2: a transposed view of transposed storage; 1-D: every other
    element of a buffer twice as long; 0-d: as is (no strides to vary).
    """
    xp = backend.xp
    if host.ndim >= 2:
        perm = list(range(host.ndim))
        perm[-1], perm[-2] = perm[-2], perm[-1]
        storage = backend.asarray(numpy.ascontiguousarray(numpy.transpose(host, perm)))
        return xp.permute_dims(storage, tuple(perm))
    if host.ndim == 1:
        buffer = numpy.zeros(2 * host.shape[0], dtype=host.dtype)
        buffer[::2] = host
        return backend.asarray(buffer)[::2]
    return backend.asarray(host)


@dataclass
class Materialized:
    args: list       # for the op
    kwargs: dict
    ref_args: list   # for the reference (float64 NumPy)
    leaves: list     # the Tensors that require grad, in argument order
    tensors: list    # every Tensor argument (leaves and constants)


def materialize(sample: Sample, dtype, layout: str = "contiguous") -> Materialized:
    """Tensors of ``dtype`` on the current backend for ``sample`` (``layout``: contiguous|strided)."""
    backend = xpnet.get_backend()
    m = Materialized([], dict(sample.kwargs), [], [], [])

    def convert(value: Any):
        if isinstance(value, list):
            pairs = [convert(v) for v in value]
            return [p[0] for p in pairs], [p[1] for p in pairs]
        if not isinstance(value, numpy.ndarray):
            return value, value
        floating = value.dtype.kind == "f"
        host = value.astype(dtype) if floating else value
        data = strided_array(backend, host) if layout == "strided" else backend.asarray(host)
        t = xpnet.Tensor(data, backend, requires_grad=floating)
        m.tensors.append(t)
        if floating:
            m.leaves.append(t)
        return t, (host.astype(f64) if floating else host)

    for a in sample.args:
        t, r = convert(a)
        m.args.append(t)
        m.ref_args.append(r)
    return m


def cases(family: str, only_gradcheck: bool = False):
    """``pytest.param``-ready (id, (record, sample)) pairs of a family."""
    out = []
    for rec in records(family):
        for s in rec.samples:
            if only_gradcheck and not s.gradcheck:
                continue
            out.append((f"{rec.name}-{s.name}", (rec, s)))
    return out


def error_cases(family: str):
    return [(f"{rec.name}-{e.name}", (rec, e)) for rec in records(family) for e in rec.errors]
