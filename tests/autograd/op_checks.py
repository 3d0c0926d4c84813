"""The generic checks every op record goes through (after PyTorch's ``test_ops.py``).

A family's test module subclasses :class:`OpChecks` and sets ``family``;
``pytest_generate_tests`` then parametrizes each check over that family's
records and samples (see :mod:`op_records`), and the ``backend_name``
fixture runs it on every backend.
"""
from __future__ import annotations

import numpy
import pytest

import xpnet
from op_records import cases, error_cases, materialize
from tolerances import GRADCHECK, tol

FLOATS = [numpy.dtype("float32"), numpy.dtype("float64")]
LAYOUTS = ["contiguous", "strided"]


def _compare_dtype(*dtypes):
    """Compare at the tolerance of the least precise dtype involved."""
    return numpy.dtype("float32") if numpy.dtype("float32") in dtypes else numpy.dtype("float64")


def _forward(rec, m):
    return rec.op(*m.args, **m.kwargs)


def _cotangent(out, seed=1):
    """A random dL/dout (host float64); all-ones would hide a transposed gradient."""
    return numpy.random.default_rng(seed).standard_normal(out.shape)


def _host_grads(m, dtype):
    return [leaf.grad.numpy() if leaf.grad is not None else numpy.zeros(leaf.shape, dtype)
            for leaf in m.leaves]


class OpChecks:
    family: str = ""

    def pytest_generate_tests(self, metafunc):
        if "case" in metafunc.fixturenames:
            only_grad = metafunc.function.__name__ == "test_gradcheck"
            pairs = cases(self.family, only_gradcheck=only_grad)
            metafunc.parametrize("case", [p for _, p in pairs], ids=[i for i, _ in pairs])
        if "error_case" in metafunc.fixturenames:
            pairs = error_cases(self.family)
            metafunc.parametrize("error_case", [p for _, p in pairs], ids=[i for i, _ in pairs])

    @pytest.mark.parametrize("layout", LAYOUTS)
    @pytest.mark.parametrize("dtype", FLOATS, ids=str)
    def test_reference(self, backend_name, case, dtype, layout):
        """Values, shape and dtype match NumPy in float64; a float32 input stays float32
        (Python scalar operands are weak and must not upcast)."""
        rec, sample = case
        m = materialize(sample, dtype, layout)
        out = _forward(rec, m)
        expected = numpy.asarray(rec.ref(*m.ref_args, **m.kwargs))
        want_dtype = rec.out_dtype(dtype) if rec.out_dtype else dtype
        assert out.backend.name == backend_name
        assert out.dtype == want_dtype, f"{rec.name}: {dtype} input gave {out.dtype}"
        assert out.shape == expected.shape
        numpy.testing.assert_allclose(out.numpy(), expected, **tol(_compare_dtype(dtype, want_dtype)))

    def test_gradcheck(self, backend_name, case):
        """Analytical vector-Jacobian products agree with central differences (float64)."""
        rec, sample = case
        m = materialize(sample, numpy.float64)
        assert m.leaves, "a gradcheck sample needs at least one floating input"
        assert xpnet.autograd.gradcheck(lambda *_: _forward(rec, m), m.leaves, **GRADCHECK)

    def test_strided_grads_match_contiguous(self, backend_name, case):
        """Forward and backward on non-contiguous inputs give what contiguous inputs give."""
        rec, sample = case
        results = []
        for layout in LAYOUTS:
            m = materialize(sample, numpy.float64, layout)
            out = _forward(rec, m)
            out.backward(_cotangent(out))
            results.append((out.numpy(), _host_grads(m, numpy.float64)))
        (out_c, grads_c), (out_s, grads_s) = results
        numpy.testing.assert_allclose(out_s, out_c, **tol(numpy.float64))
        for gs, gc in zip(grads_s, grads_c):
            numpy.testing.assert_allclose(gs, gc, **tol(numpy.float64))

    @pytest.mark.parametrize("layout", LAYOUTS)
    @pytest.mark.parametrize("dtype", FLOATS, ids=str)
    def test_backward_keeps_inputs_and_dtypes(self, backend_name, case, dtype, layout):
        """Forward and backward modify no input (nor the incoming gradient); every
        leaf's ``.grad`` has the leaf's shape and dtype."""
        rec, sample = case
        m = materialize(sample, dtype, layout)
        before = [t.numpy() for t in m.tensors]
        out = _forward(rec, m)
        cot = xpnet.tensor(_cotangent(out), dtype=out.dtype)
        cot_before = cot.numpy()
        out.backward(cot)
        for t, b in zip(m.tensors, before):
            numpy.testing.assert_array_equal(t.numpy(), b)
        numpy.testing.assert_array_equal(cot.numpy(), cot_before)
        for leaf in m.leaves:
            assert leaf.grad is not None
            assert leaf.grad.shape == leaf.shape
            assert leaf.grad.dtype == leaf.dtype
            assert leaf.grad.backend is leaf.backend

    def test_errors(self, backend_name, error_case):
        """Bad arguments raise the documented exception, naming the problem, before any change."""
        rec, err = error_case
        sample_like = type("S", (), dict(args=err.args, kwargs=err.kwargs))
        m = materialize(sample_like, numpy.float64)
        before = [t.numpy() for t in m.tensors]
        with pytest.raises(err.exc, match=err.match):
            rec.op(*m.args, **m.kwargs)
        for t, b in zip(m.tensors, before):
            numpy.testing.assert_array_equal(t.numpy(), b)
