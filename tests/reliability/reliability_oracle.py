"""The oracle of the bad-input suite: a case either matches PyTorch's rule or raises cleanly.

A *case* is one configuration and one input, drawn by hypothesis (valid and
invalid alike).  :func:`check_case` runs it through xpnet and judges it
against two oracles:

* the *rule* written in the test from PyTorch's documentation: ``Valid(shape,
  dtype)`` (the output shape and dtype PyTorch's formulas predict) or
  ``Invalid(*names)`` (the arguments whose name an error must mention);
* PyTorch itself, when it is importable: if torch raises, xpnet must raise;
  if torch succeeds, xpnet must give the same shape, dtype and (finite
  inputs) values within ``tests/tolerances.py``.  The rule must agree with
  torch too, unless the case is one of the test's listed intentional
  differences (then the rule, our documented behaviour, is the oracle).

Whatever the outcome, an error must be ``ValueError`` or ``TypeError`` naming
an argument, and the inputs' data must be unchanged (and the module's
parameters and buffers, when the call raised).

Every property runs through :func:`run_property`, which fixes
``max_examples`` (x10 under ``-m slow``), ``derandomize=True`` and
``deadline=None`` and counts the examples tried (printed by the conftest).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xpnet
from tolerances import tol

try:  # the tests must pass without torch: then the rule is the only oracle
    import torch
except ImportError:  # pragma: no cover - torch is in the dev venv and in CI
    torch = None

#: examples tried so far in this session, per property (read by conftest.py)
EXAMPLES_TRIED: dict = {}
#: how the judged cases came out: xpnet "returned" or "raised", and torch "compared" or not
OUTCOMES: dict = {}
#: x10 examples for the slow-marked run of every property
SLOW_FACTOR = 10
#: the budgets every property runs under: CI's and the slow local one
BUDGETS = [pytest.param(1, id="ci"), pytest.param(SLOW_FACTOR, id="slow", marks=pytest.mark.slow)]

DTYPES = ("float32", "float64", "int32", "int64", "bool")
#: backends that compute here; cudasim (kernels on a CPU simulator) only appears mixed in,
#: where the error comes before any kernel runs
BACKENDS = ("numpy", "array_api_strict")
MIXED_IN = ("array_api_strict", "cudasim")


@dataclass(frozen=True)
class Valid:
    """The rule's prediction for a valid case: output shape and dtype."""
    shape: tuple
    dtype: str


class Invalid:
    """The rule's prediction for an invalid case: an error naming one of ``names``."""

    def __init__(self, *names: str):
        self.names = names

    def __repr__(self):
        return f"Invalid{self.names}"


def run_property(name: str, strategy, body: Callable, examples: int, budget: int) -> None:
    """Run ``body(case)`` on ``examples * budget`` cases drawn from ``strategy``, counting them."""
    @settings(max_examples=examples * budget, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.data_too_large])
    @given(strategy)
    def prop(case):
        EXAMPLES_TRIED[name] = EXAMPLES_TRIED.get(name, 0) + 1
        body(case)
    prop()


def property_tests(prefix: str, table: dict):
    """A pytest test running each property of ``table`` (``{name: (strategy, body, examples)}``)
    under each budget: assign it to a ``test_...`` name in a test module."""
    @pytest.mark.parametrize("budget", BUDGETS)
    @pytest.mark.parametrize("name", list(table))
    def test(name, budget):
        strategy, body, examples = table[name]
        run_property(f"{prefix}.{name}", strategy, body, examples, budget)
    return test


# --------------------------------------------------------------------------- #
# inputs: dtype, values (NaN/inf), layout (non-contiguous, negative strides), backend
# --------------------------------------------------------------------------- #
@dataclass
class Spec:
    """How to build one input array: shape, dtype, values, memory layout and container."""
    shape: tuple
    dtype: str = "float32"
    seed: int = 0
    special: str = "finite"        # "finite", "nan" or "inf"
    layout: str = "contiguous"     # "contiguous", "transposed", "sliced", "reversed"
    container: str = "tensor"      # "tensor" (of the case's backend), "numpy", "mixed"
    mixed_backend: str = "cudasim"
    low: float = -3.0
    high: float = 3.0

    def host(self) -> numpy.ndarray:
        """The host array with this spec's values and layout (same values whatever the layout)."""
        rng = numpy.random.default_rng(self.seed)
        if self.dtype == "bool":
            values = rng.integers(0, 2, self.shape).astype(bool)
        elif self.dtype.startswith("int"):
            values = rng.integers(int(self.low), int(self.high) + 1, self.shape).astype(self.dtype)
        else:
            values = rng.uniform(self.low, self.high, self.shape).astype(self.dtype)
            if self.special != "finite" and values.size:
                bad = {"nan": numpy.nan, "inf": numpy.inf}[self.special]
                values.flat[rng.integers(0, values.size)] = bad
        return with_layout(values, self.layout)

    @property
    def finite(self) -> bool:
        return self.special == "finite"


def with_layout(values: numpy.ndarray, layout: str) -> numpy.ndarray:
    """An array equal to ``values`` whose memory is laid out as ``layout`` says."""
    if layout == "contiguous" or values.ndim == 0:
        return values
    if layout == "transposed":  # a Fortran-ordered view: the transpose of a C array
        return numpy.ascontiguousarray(values.T).T
    if layout == "sliced":  # every other element along axis 0 of a bigger array
        big = numpy.zeros((2 * values.shape[0],) + values.shape[1:], values.dtype)
        big[::2] = values
        return big[::2]
    if layout == "reversed":  # negative strides on every axis
        return numpy.ascontiguousarray(values[(slice(None, None, -1),) * values.ndim])[
            (slice(None, None, -1),) * values.ndim]
    raise AssertionError(layout)


@st.composite
def specs(draw, shape, dtype=None, allow_special=True, allow_mixed=True):
    """A :class:`Spec` of ``shape``: mostly float32 tensors, sometimes anything else."""
    return Spec(
        shape=tuple(shape),
        dtype=dtype or draw(st.sampled_from(("float32",) * 8 + DTYPES)),
        seed=draw(st.integers(0, 2 ** 16)),
        special=draw(st.sampled_from(("finite",) * 6 + ("nan", "inf"))) if allow_special
        else "finite",
        layout=draw(st.sampled_from(("contiguous", "contiguous", "transposed", "sliced",
                                     "reversed"))),
        container=draw(st.sampled_from(("tensor",) * 5 + ("numpy", "numpy")
                                       + (("mixed",) if allow_mixed else ()))),
        mixed_backend=draw(st.sampled_from(MIXED_IN)))


def backend_of(spec: Spec, backend: str) -> Optional[str]:
    """The backend of the tensor :func:`build` makes of ``spec``, or None for a raw array."""
    if spec.container == "numpy" and backend in ("numpy", "cudasim"):
        return None
    if spec.container == "mixed":
        return spec.mixed_backend if spec.mixed_backend != backend else "numpy"
    return backend


def build(spec: Spec, backend: str):
    """The xpnet input for ``spec`` on ``backend``: a raw NumPy array or a tensor."""
    host = spec.host()
    name = backend_of(spec, backend)
    # a raw array is passed as it is: the function must not write into it
    return host if name is None else xpnet.tensor(host, backend=name)


def to_torch(host: numpy.ndarray):
    """A torch tensor with ``host``'s values (torch refuses negative strides: copy)."""
    return torch.from_numpy(numpy.array(host, copy=True))


# --------------------------------------------------------------------------- #
# the oracle
# --------------------------------------------------------------------------- #
def _host(v) -> Optional[numpy.ndarray]:
    if isinstance(v, numpy.ndarray):
        return v.copy()
    if hasattr(v, "numpy") and hasattr(v, "backend"):
        return v.numpy()
    return None


def _snapshot(values: Sequence[Any]) -> list:
    return [_host(v) for v in values]


def _state(module) -> dict:
    if module is None:
        return {}
    return {k: v.numpy() for k, v in module.state_dict().items()}


def _outcome(fn: Callable):
    try:
        return fn(), None
    except Exception as e:  # judged below: only ValueError/TypeError are allowed
        return None, e


def _same(a: numpy.ndarray, b: numpy.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and numpy.array_equal(
        a, b, equal_nan=a.dtype.kind in "fc")


class Watch:
    """Given to a case's ``run``: ``watch(module)`` snapshots a module's parameters and buffers."""

    def __init__(self):
        self.modules = []

    def __call__(self, module):
        self.modules.append((module, _state(module)))
        return module

    def check_unchanged(self, where: str, buffers_too: bool) -> None:
        for module, before in self.modules:
            after = _state(module)
            params = {name for name, _ in module.named_parameters()}
            for k, v in before.items():
                if buffers_too or k in params:
                    assert _same(v, after[k]), f"{where}: {k} of the module was modified"


def _count(key: str) -> None:
    OUTCOMES[key] = OUTCOMES.get(key, 0) + 1


def check_case(case: str, run: Callable, rule, *, inputs: Sequence[Any] = (),
               run_torch: Optional[Callable] = None, difference: Optional[str] = None,
               compare_values: bool = True) -> None:
    """Judge one case (see the module docstring).

    Args:
        case: a description printed on failure.
        run: ``run(watch)`` builds xpnet's configuration (passing each module it
            builds through ``watch``) and calls it; returns a Tensor.
        rule: ``Valid(shape, dtype)`` or ``Invalid(*names)``, from PyTorch's documented rules.
        inputs: the arrays/tensors given to ``run``; they must come out unchanged.
        run_torch: the same case in torch (called only when torch is importable).
        difference: why torch's answer is not the oracle for this case (an intentional
            difference of xpnet's documented behaviour), or None.
        compare_values: compare the values with torch's (finite inputs, deterministic ops).

    Returns the error xpnet raised, or None.
    """
    before = _snapshot(inputs)
    watch = Watch()
    result, error = _outcome(lambda: run(watch))
    where = f"{case} -> rule {rule}"
    if error is not None:
        assert isinstance(error, (ValueError, TypeError)), (
            f"{where}: raised {type(error).__name__} (only ValueError/TypeError allowed): {error}")
        assert isinstance(rule, Invalid), f"{where}: the rule says valid but xpnet raised {error!r}"
        assert any(n in str(error) for n in rule.names), (
            f"{where}: the error does not name any of {rule.names}: {error}")
    else:
        assert isinstance(rule, Valid), f"{where}: xpnet accepted an invalid case"
        assert tuple(result.shape) == tuple(rule.shape), (
            f"{where}: output shape {tuple(result.shape)}")
        assert numpy.dtype(result.dtype) == numpy.dtype(rule.dtype), (
            f"{where}: output dtype {result.dtype}")
    for k, (a, b) in enumerate(zip(before, _snapshot(inputs))):
        if a is not None:
            assert _same(a, b), f"{where}: input {k} was modified"
    watch.check_unchanged(where, buffers_too=error is not None)
    _count("raised" if error is not None else "returned")
    if torch is None or run_torch is None or difference is not None:
        return error
    _count("compared with torch")
    expected, t_error = _outcome(run_torch)
    if t_error is not None:
        assert error is not None, (f"{where}: torch raised {type(t_error).__name__}: {t_error} "
                                   f"but xpnet returned shape {tuple(result.shape)}")
        return error
    assert error is None, (f"{where}: torch returns {tuple(expected.shape)} but xpnet raised "
                           f"{error!r}")
    assert tuple(expected.shape) == tuple(result.shape), where
    assert str(expected.dtype).replace("torch.", "") == str(numpy.dtype(result.dtype)), (
        f"{where}: dtype {result.dtype}, torch {expected.dtype}")
    if compare_values:
        got = result.numpy() if hasattr(result, "numpy") else numpy.asarray(result)
        want = expected.detach().numpy()
        if got.dtype.kind == "f":
            numpy.testing.assert_allclose(got, want, **tol(got.dtype), err_msg=where)
        else:
            numpy.testing.assert_array_equal(got, want, err_msg=where)
    return error
