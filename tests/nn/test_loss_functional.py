"""Loss functions (``xpnet.nn.functional.loss``) against independent NumPy references.

Each case in ``CASES`` declares how to draw its inputs and which options it
passes; the generic tests below check every case x reduction on every
backend in float32 and float64 against the naive float64 references written
here (closed forms and per-sample loops, with no code shared with the
library), gradients by finite differences (float64) and against PyTorch when
it is installed, inputs left unmodified and non-contiguous inputs.
Edge cases (logits of 1e4, probabilities of exactly 0 and 1) and every
argument error follow.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import xpnet
import xpnet.nn.functional as F
from tolerances import GRADCHECK, assert_close


REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float32, np.float64]


# --------------------------------------------------------------------------- #
# NumPy references: each returns (per-element or per-sample losses, mean denominator)
# --------------------------------------------------------------------------- #

def ref_mse(x, y):
    return (x - y) ** 2, x.size


def ref_l1(x, y):
    return np.abs(x - y), x.size


def ref_huber(x, y, delta=1.0):
    d = np.abs(x - y)
    return np.where(d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta)), x.size


def ref_bce(x, y, weight=None):
    with np.errstate(divide="ignore"):
        l = -(y * np.maximum(np.log(x), -100) + (1 - y) * np.maximum(np.log(1 - x), -100))
    return (l if weight is None else weight * l), x.size


def ref_bce_logits(x, y, weight=None, pos_weight=None):
    # -[pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], with -log sigmoid(x) = softplus(-x)
    pw = 1.0 if pos_weight is None else pos_weight
    l = pw * y * np.logaddexp(0, -x) + (1 - y) * np.logaddexp(0, x)
    return (l if weight is None else weight * l), x.size


def _rows(x, t, prob):
    """Input (C,) / (N, C, d...) as rows (M, C); targets as (M,) or (M, C); the per-sample shape."""
    if x.ndim == 1:
        x, t = x[None], (t[None] if prob else np.asarray(t).reshape(1))
        shape = ()
    else:
        shape = (x.shape[0],) + x.shape[2:]
    C = x.shape[1]
    rows = np.moveaxis(x, 1, -1).reshape(-1, C)
    trows = np.moveaxis(t, 1, -1).reshape(-1, C) if prob else np.asarray(t).reshape(-1)
    return rows, trows, shape, C


def ref_class(x, t, weight=None, ignore_index=-100, label_smoothing=0.0, logits=True):
    """cross_entropy (logits=True) or nll_loss, by a loop over samples."""
    prob = t.dtype.kind == "f"
    rows, trows, shape, C = _rows(x, t, prob)
    w = np.ones(C) if weight is None else weight
    s = label_smoothing
    losses, denom = [], 0.0
    for row, y in zip(rows, trows):
        if logits:
            m = row.max()
            logp = row - m - np.log(np.sum(np.exp(row - m)))
        else:
            logp = row
        if prob:
            losses.append(-np.sum(w * ((1 - s) * y + s / C) * logp))
            denom += 1
        elif y == ignore_index:
            losses.append(0.0)
        else:
            losses.append((1 - s) * -w[y] * logp[y] + s / C * -np.sum(w * logp))
            denom += w[y]
    return np.array(losses).reshape(shape), denom


def ref_nll(x, t, weight=None, ignore_index=-100):
    return ref_class(x, t, weight, ignore_index, logits=False)


def ref_multi_margin(x, t, p=1, margin=1.0, weight=None):
    rows, trows, shape, C = _rows(x, t, False)
    losses = []
    for row, y in zip(rows, trows):
        h = [max(0.0, margin - row[y] + row[c]) ** p for c in range(C) if c != y]
        losses.append((1.0 if weight is None else weight[y]) * sum(h) / C)
    return np.array(losses).reshape(shape), len(losses)


def reduce_ref(losses, denom, reduction):
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / denom


# --------------------------------------------------------------------------- #
# the cases
# --------------------------------------------------------------------------- #

@dataclass
class Case:
    """A loss with options: ``make(rng)`` -> (input, target, constant kwargs) as float64/int64."""
    name: str
    fn: Callable
    ref: Callable
    make: Callable
    options: dict = field(default_factory=dict)
    float_target: bool = True   # the target is differentiable

    def __str__(self):
        return self.name


def pair(shape, target=lambda r, s: r.standard_normal(s)):
    return lambda r: (r.standard_normal(shape), target(r, shape), {})


def probs(shape, **consts):
    def make(r):
        extra = {k: v(r) for k, v in consts.items()}
        return r.uniform(0.05, 0.95, shape), r.uniform(0, 1, shape), extra
    return make


def logits_binary(shape, **consts):
    def make(r):
        extra = {k: v(r) for k, v in consts.items()}
        return 2 * r.standard_normal(shape), r.uniform(0, 1, shape), extra
    return make


def classes(shape, ignore=None, prob=False, unit_weight=False, **consts):
    """Logits of ``shape`` (C = shape[1], or shape[0] for 1-d) with index or probability targets."""
    def make(r):
        C = shape[0] if len(shape) == 1 else shape[1]
        x = 2 * r.standard_normal(shape)
        if prob:
            t = r.uniform(0, 1, shape)
            t /= t.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
        else:
            tshape = () if len(shape) == 1 else (shape[0],) + tuple(shape[2:])
            t = r.integers(0, C, tshape)
            if ignore is not None:
                t.reshape(-1)[::3] = ignore
        extra = {k: v(r) for k, v in consts.items()}
        return x, t, extra
    return make


def class_weight(C):
    return lambda r: r.uniform(0.5, 2.0, C)


CASES = [
    Case("mse", F.mse_loss, ref_mse, pair((3, 4))),
    Case("mse_3d", F.mse_loss, ref_mse, pair((2, 3, 2))),
    Case("l1", F.l1_loss, ref_l1, pair((3, 4))),
    Case("huber", F.huber_loss, ref_huber, pair((3, 4), lambda r, s: 2 * r.standard_normal(s))),
    Case("huber_delta0.5", F.huber_loss, ref_huber,
         pair((3, 4), lambda r, s: 2 * r.standard_normal(s)), {"delta": 0.5}),
    Case("huber_delta2.5", F.huber_loss, ref_huber,
         pair((3, 4), lambda r, s: 3 * r.standard_normal(s)), {"delta": 2.5}),
    Case("bce", F.binary_cross_entropy, ref_bce, probs((3, 4))),
    Case("bce_weight_row", F.binary_cross_entropy, ref_bce,
         probs((3, 4), weight=lambda r: r.uniform(0.5, 2, 4))),
    Case("bce_weight_full", F.binary_cross_entropy, ref_bce,
         probs((3, 4), weight=lambda r: r.uniform(0.5, 2, (3, 4)))),
    Case("bce_logits", F.binary_cross_entropy_with_logits, ref_bce_logits, logits_binary((3, 4))),
    Case("bce_logits_weight", F.binary_cross_entropy_with_logits, ref_bce_logits,
         logits_binary((3, 4), weight=lambda r: r.uniform(0.5, 2, (3, 1)))),
    Case("bce_logits_pos_weight", F.binary_cross_entropy_with_logits, ref_bce_logits,
         logits_binary((3, 4), pos_weight=lambda r: r.uniform(0.5, 3, 4))),
    Case("bce_logits_both", F.binary_cross_entropy_with_logits, ref_bce_logits,
         logits_binary((2, 3, 4), weight=lambda r: r.uniform(0.5, 2, 4),
                       pos_weight=lambda r: r.uniform(0.5, 3, (3, 4)))),
    Case("ce", F.cross_entropy, ref_class, classes((4, 5)), float_target=False),
    Case("ce_weight", F.cross_entropy, ref_class, classes((4, 5), weight=class_weight(5)),
         float_target=False),
    Case("ce_ignore", F.cross_entropy, ref_class, classes((5, 4), ignore=-100),
         float_target=False),
    Case("ce_ignore_index_2", F.cross_entropy, ref_class, classes((5, 4), ignore=2),
         {"ignore_index": 2}, float_target=False),
    Case("ce_smoothing", F.cross_entropy, ref_class, classes((4, 5)), {"label_smoothing": 0.2},
         float_target=False),
    Case("ce_smoothing_weight_ignore", F.cross_entropy, ref_class,
         classes((5, 4), ignore=1, weight=class_weight(4)),
         {"label_smoothing": 0.3, "ignore_index": 1}, float_target=False),
    Case("ce_4d", F.cross_entropy, ref_class, classes((2, 3, 2, 3), weight=class_weight(3)),
         {"label_smoothing": 0.1}, float_target=False),
    Case("ce_3d_ignore", F.cross_entropy, ref_class, classes((2, 4, 3), ignore=-1),
         {"ignore_index": -1}, float_target=False),
    Case("ce_unbatched", F.cross_entropy, ref_class, classes((5,)), {"label_smoothing": 0.1},
         float_target=False),
    Case("ce_prob", F.cross_entropy, ref_class, classes((4, 5), prob=True)),
    Case("ce_prob_smoothing_weight", F.cross_entropy, ref_class,
         classes((4, 5), prob=True, weight=class_weight(5)), {"label_smoothing": 0.25}),
    Case("ce_prob_3d", F.cross_entropy, ref_class, classes((2, 3, 2), prob=True)),
    Case("ce_prob_unbatched", F.cross_entropy, ref_class, classes((4,), prob=True)),
    Case("nll", F.nll_loss, ref_nll, classes((4, 5)), float_target=False),
    Case("nll_weight_ignore", F.nll_loss, ref_nll, classes((5, 4), ignore=-100,
                                                           weight=class_weight(4)),
         float_target=False),
    Case("nll_3d", F.nll_loss, ref_nll, classes((2, 3, 4)), float_target=False),
    Case("nll_unbatched", F.nll_loss, ref_nll, classes((5,)), float_target=False),
    Case("multi_margin", F.multi_margin_loss, ref_multi_margin, classes((4, 5)),
         float_target=False),
    Case("multi_margin_p2_margin", F.multi_margin_loss, ref_multi_margin, classes((4, 5)),
         {"p": 2, "margin": 0.7}, float_target=False),
    Case("multi_margin_weight", F.multi_margin_loss, ref_multi_margin,
         classes((4, 5), weight=class_weight(5)), {"p": 2}, float_target=False),
    Case("multi_margin_unbatched", F.multi_margin_loss, ref_multi_margin, classes((5,)),
         float_target=False),
]


def inputs(case, dtype, requires_grad=False, seed=0):
    """Host arrays rounded to ``dtype`` (targets kept integer) and xpnet tensors of them."""
    x, t, consts = case.make(np.random.default_rng(seed))
    x = x.astype(dtype)
    if t.dtype.kind == "f":
        t = t.astype(dtype)
    consts = {k: v.astype(dtype) for k, v in consts.items()}
    X = xpnet.tensor(x, requires_grad=requires_grad)
    T = xpnet.tensor(t, requires_grad=requires_grad and case.float_target)
    kw = {k: xpnet.tensor(v) for k, v in consts.items()}
    return (x, t, consts), (X, T, kw)


def expected(case, host, reduction):
    x, t, consts = host
    f64 = {k: v.astype(np.float64) for k, v in consts.items()}
    t64 = t.astype(np.float64) if t.dtype.kind == "f" else t
    losses, denom = case.ref(x.astype(np.float64), t64, **f64, **case.options)
    return reduce_ref(losses, denom, reduction)


# --------------------------------------------------------------------------- #
# generic tests over the cases
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_reference(backend_name, case, reduction, dtype):
    host, (X, T, kw) = inputs(case, dtype)
    out = case.fn(X, T, reduction=reduction, **kw, **case.options)
    want = expected(case, host, reduction)
    assert out.dtype == np.dtype(dtype)
    assert out.shape == np.shape(want)
    assert_close(out, want, dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck(backend_name, case, reduction):
    _, (X, T, kw) = inputs(case, np.float64, requires_grad=True)
    xpnet.gradcheck(lambda a, b: case.fn(a, b, reduction=reduction, **kw, **case.options),
                    [X, T], **GRADCHECK)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_against_torch(case, reduction, torch_one_thread):
    torch = torch_one_thread
    tf = getattr(torch.nn.functional, case.fn.__name__)
    for seed in (1, 2):
        (x, t, consts), (X, T, kw) = inputs(case, np.float64, requires_grad=True, seed=seed)
        tx = torch.tensor(x, requires_grad=True)
        tt = torch.tensor(t, requires_grad=case.float_target)
        tkw = {k: torch.tensor(v) for k, v in consts.items()}
        want = tf(tx, tt, reduction=reduction, **tkw, **case.options)
        out = case.fn(X, T, reduction=reduction, **kw, **case.options)
        assert_close(out, want.detach().numpy())
        g = np.random.default_rng(seed).standard_normal(out.shape)
        want.backward(torch.tensor(g))
        out.backward(g)
        assert_close(X.grad, tx.grad.numpy())
        if case.float_target:
            assert_close(T.grad, tt.grad.numpy())


@pytest.mark.parametrize("case", CASES, ids=str)
def test_inputs_not_modified(backend_name, case):
    (x, t, consts), (X, T, kw) = inputs(case, np.float64, requires_grad=True)
    case.fn(X, T, **kw, **case.options).backward()
    np.testing.assert_array_equal(X.numpy(), x)
    np.testing.assert_array_equal(T.numpy(), t)
    for k, v in kw.items():
        np.testing.assert_array_equal(v.numpy(), consts[k])


@pytest.mark.parametrize("case", [c for c in CASES if "unbatched" not in c.name], ids=str)
def test_non_contiguous_inputs(case):
    """Transposed views (non-contiguous on NumPy) give the values and gradients of copies."""
    host, (X, T, kw) = inputs(case, np.float64, requires_grad=True)
    x, t, consts = host
    # store the input transposed, then transpose it back as a (strided) view
    Xt = xpnet.tensor(np.ascontiguousarray(np.swapaxes(x, 0, -1)), requires_grad=True)
    Xv = Xt.transpose(0, x.ndim - 1)
    if Xv.backend.name == "numpy":
        assert not Xv.data.flags["C_CONTIGUOUS"]
    out = case.fn(Xv, T.detach(), **kw, **case.options)
    assert_close(out, expected(case, host, "mean"))
    out.backward()
    case.fn(X, T.detach(), **kw, **case.options).backward()
    assert_close(np.swapaxes(Xt.grad.numpy(), 0, -1), X.grad.numpy())


# --------------------------------------------------------------------------- #
# extreme values: finite and correct (closed forms)
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_extreme_logits(backend_name, dtype):
    z = np.array([[1e4, 0, -1e4], [0, 1e4, -1e4], [-1e4, -1e4, 1e4]], dtype=dtype)
    X = xpnet.tensor(z, requires_grad=True)
    t = xpnet.tensor(np.array([0, 0, 1]))
    loss = F.cross_entropy(X, t, reduction="none")
    # -logp[y] = lse - z[y]; lse = max(z) up to exp(-1e4) = 0
    assert_close(loss, np.array([0.0, 1e4, 2e4]), dtype)
    loss.sum().backward()
    # softmax - onehot, softmax exactly one-hot at the max here
    assert_close(X.grad, np.array([[0, 0, 0], [-1, 1, 0], [0, -1, 1]]), dtype)
    X.grad = None
    smooth = F.cross_entropy(X, t, label_smoothing=0.3, reduction="sum")
    smooth.backward()
    assert np.isfinite(smooth.item()) and np.all(np.isfinite(X.grad.numpy()))
    want, denom = ref_class(z.astype(np.float64), np.array([0, 0, 1]), label_smoothing=0.3)
    assert_close(smooth, want.sum(), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_extreme_logits_probability_targets(backend_name, dtype):
    z = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=dtype)
    X = xpnet.tensor(z, requires_grad=True)
    p = np.array([[0.25, 0.75], [1.0, 0.0]], dtype=dtype)
    loss = F.cross_entropy(X, xpnet.tensor(p), reduction="none")
    # -sum p logp with logp = [0, -2e4] / [-2e4, 0]
    assert_close(loss, np.array([0.75 * 2e4, 2e4]), dtype)
    loss.sum().backward()
    assert_close(X.grad, np.array([[0.75, -0.75], [-1.0, 1.0]]), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_extreme_logits(backend_name, dtype):
    z = np.array([1e4, 1e4, -1e4, -1e4], dtype=dtype)
    y = np.array([1.0, 0.0, 1.0, 0.0], dtype=dtype)
    X = xpnet.tensor(z, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(X, xpnet.tensor(y), reduction="none",
                                              pos_weight=xpnet.tensor(np.array([2.0], dtype)))
    assert_close(loss, np.array([0.0, 1e4, 2e4, 0.0]), dtype)
    loss.sum().backward()
    # (1 + (pw - 1) y) sigmoid(x) - pw y
    assert_close(X.grad, np.array([0.0, 1.0, -2.0, 0.0]), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_at_zero_and_one_is_clamped(backend_name, dtype):
    x = np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype)
    X = xpnet.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy(X, xpnet.tensor(y), reduction="none")
    assert_close(loss, np.array([100.0, 100.0, 0.0, 0.0]), dtype)   # log clamped at -100
    loss.sum().backward()
    # (x - y) / max(x (1 - x), 1e-12)
    assert_close(X.grad, np.array([-1e12, 1e12, 0.0, 0.0]), dtype)


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_extreme_scores(backend_name, p):
    z = np.array([[1e4, -1e4, 0.0]], dtype=np.float32)
    X = xpnet.tensor(z, requires_grad=True)
    loss = F.multi_margin_loss(X, xpnet.tensor(np.array([1])), p=p)
    h = np.array([1 + 2e4, 1 + 1e4]) ** p
    assert_close(loss, h.sum() / 3, np.float32)
    loss.backward()
    assert np.all(np.isfinite(X.grad.numpy()))


def test_nll_ignored_rows_may_hold_minus_inf(backend_name):
    x = np.array([[-np.inf, 0.0], [np.log(0.25), np.log(0.75)]])
    X = xpnet.tensor(x, requires_grad=True)
    loss = F.nll_loss(X, xpnet.tensor(np.array([-100, 1])))
    assert_close(loss, -np.log(0.75))
    loss.backward()
    assert_close(X.grad, np.array([[0.0, 0.0], [0.0, -1.0]]))


def test_mean_over_all_ignored_targets_is_nan(backend_name):
    X = xpnet.tensor(np.zeros((2, 3)))
    with np.errstate(invalid="ignore"):
        loss = F.cross_entropy(X, xpnet.tensor(np.array([-100, -100])))
    assert np.isnan(loss.item())   # 0 / 0, as PyTorch


# --------------------------------------------------------------------------- #
# argument errors: raised before computing, naming argument, rule and value
# --------------------------------------------------------------------------- #

def _f32(*shape):
    return xpnet.tensor(np.full(shape, 0.5, dtype=np.float32))


def _ints(*values):
    return xpnet.tensor(np.array(values, dtype=np.int64))


ALL_LOSSES = [F.mse_loss, F.l1_loss, F.huber_loss, F.binary_cross_entropy,
              F.binary_cross_entropy_with_logits, F.cross_entropy, F.nll_loss,
              F.multi_margin_loss]

ERRORS = [
    ("ce_target_shape",
     lambda: F.cross_entropy(_f32(4, 10), xpnet.tensor(np.zeros((4, 1), np.int64))), ValueError,
     r"cross_entropy: target must have shape \(N,\) = \(4,\) for input of shape \(4, 10\); "
     r"got \(4, 1\)"),
    ("ce_target_shape_nd",
     lambda: F.cross_entropy(_f32(2, 3, 4, 5), xpnet.tensor(np.zeros((2, 4), np.int64))),
     ValueError, r"target must have shape \(N, d1, d2\) = \(2, 4, 5\) .*got \(2, 4\)"),
    ("ce_target_shape_unbatched",
     lambda: F.cross_entropy(_f32(3), _ints(1, 2)), ValueError,
     r"target must have shape \(\) = \(\) for input of shape \(3,\); got \(2,\)"),
    ("ce_index_too_large", lambda: F.cross_entropy(_f32(3, 10), _ints(1, 10, 2)), ValueError,
     r"cross_entropy: target class indices must be in \[0, C\) = \[0, 10\).*; got 10"),
    ("ce_index_negative", lambda: F.cross_entropy(_f32(3, 10), _ints(1, -3, -100)), ValueError,
     r"\[0, 10\) \(or ignore_index=-100\); got -3"),
    ("ce_float_index_target", lambda: F.cross_entropy(_f32(4, 10), _f32(4)), TypeError,
     r"cross_entropy: class-index target must have an integer dtype; got float32"),
    ("ce_int_probability_target",
     lambda: F.cross_entropy(_f32(4, 10), xpnet.tensor(np.zeros((4, 10), np.int64))), TypeError,
     r"cross_entropy: a target of the input's shape \(4, 10\) .* floating point; got int64"),
    ("ce_prob_ignore_index",
     lambda: F.cross_entropy(_f32(4, 10), _f32(4, 10), ignore_index=0), ValueError,
     r"ignore_index is not supported with class-probability targets; got ignore_index=0"),
    ("ce_ignore_index_float", lambda: F.cross_entropy(_f32(2, 3), _ints(0, 1), ignore_index=1.5),
     TypeError, r"ignore_index must be an int; got 1.5"),
    ("ce_smoothing_negative",
     lambda: F.cross_entropy(_f32(2, 3), _ints(0, 1), label_smoothing=-0.1), ValueError,
     r"cross_entropy: label_smoothing must be in \[0.0, 1.0\]; got -0.1"),
    ("ce_smoothing_above_one",
     lambda: F.cross_entropy(_f32(2, 3), _ints(0, 1), label_smoothing=1.5), ValueError,
     r"label_smoothing must be in \[0.0, 1.0\]; got 1.5"),
    ("ce_smoothing_nan",
     lambda: F.cross_entropy(_f32(2, 3), _ints(0, 1), label_smoothing=float("nan")), ValueError,
     r"label_smoothing must be in \[0.0, 1.0\]; got nan"),
    ("ce_smoothing_str",
     lambda: F.cross_entropy(_f32(2, 3), _ints(0, 1), label_smoothing="0.1"), TypeError,
     r"label_smoothing must be a real number; got '0.1'"),
    ("ce_weight_shape", lambda: F.cross_entropy(_f32(2, 3), _ints(0, 1), weight=_f32(4)),
     ValueError, r"weight must have shape \(C,\) = \(3,\) for input of shape \(2, 3\); got \(4,\)"),
    ("ce_int_input", lambda: F.cross_entropy(_ints(1, 2), _ints(0)), TypeError,
     r"cross_entropy: input must have a floating-point dtype; got int64"),
    ("nll_float_target", lambda: F.nll_loss(_f32(4, 10), _f32(4)), TypeError,
     r"nll_loss: class-index target must have an integer dtype; got float32"),
    ("nll_index_range", lambda: F.nll_loss(_f32(2, 3), _ints(0, 3)), ValueError,
     r"nll_loss: target class indices must be in \[0, C\) = \[0, 3\).*; got 3"),
    ("bce_int_target", lambda: F.binary_cross_entropy(_f32(3), _ints(0, 1, 1)), TypeError,
     r"binary_cross_entropy: target must have a floating-point dtype .*; got int64"),
    ("bce_input_above_one",
     lambda: F.binary_cross_entropy(xpnet.tensor([0.2, 1.5]), _f32(2)), ValueError,
     r"binary_cross_entropy: every element of input must be in \[0, 1\].*; got 1.5"),
    ("bce_input_negative",
     lambda: F.binary_cross_entropy(xpnet.tensor([-0.25, 0.5]), _f32(2)), ValueError,
     r"must be in \[0, 1\].*; got -0.25"),
    ("bce_input_nan",
     lambda: F.binary_cross_entropy(xpnet.tensor([0.5, float("nan")]), _f32(2)), ValueError,
     r"must be in \[0, 1\].*; got nan"),
    ("bce_weight_not_broadcastable",
     lambda: F.binary_cross_entropy(_f32(2, 3), _f32(2, 3), weight=_f32(2)), ValueError,
     r"weight must broadcast to the input's shape \(2, 3\); got shape \(2,\)"),
    ("bce_logits_int_target",
     lambda: F.binary_cross_entropy_with_logits(_f32(3), _ints(0, 1, 1)), TypeError,
     r"binary_cross_entropy_with_logits: target must have a floating-point dtype .*; got int64"),
    ("bce_logits_pos_weight_shape",
     lambda: F.binary_cross_entropy_with_logits(_f32(2, 3), _f32(2, 3), pos_weight=_f32(2)),
     ValueError, r"pos_weight must broadcast to the input's shape \(2, 3\); got shape \(2,\)"),
    ("mse_shape", lambda: F.mse_loss(_f32(2, 3), _f32(3, 2)), ValueError,
     r"mse_loss: target must have the shape of input \(2, 3\); got \(3, 2\)"),
    ("l1_int_input", lambda: F.l1_loss(_ints(1, 2), _f32(2)), TypeError,
     r"l1_loss: input must have a floating-point dtype; got int64"),
    ("huber_delta_zero", lambda: F.huber_loss(_f32(2), _f32(2), delta=0.0), ValueError,
     r"huber_loss: delta must be > 0; got 0.0"),
    ("mm_p3", lambda: F.multi_margin_loss(_f32(2, 3), _ints(0, 1), p=3), ValueError,
     r"multi_margin_loss: p must be 1 or 2; got 3"),
    ("mm_3d_input", lambda: F.multi_margin_loss(_f32(2, 3, 4), _ints(0, 1)), ValueError,
     r"multi_margin_loss: input must have shape \(N, C\) or \(C,\); got \(2, 3, 4\)"),
    ("mm_index_range", lambda: F.multi_margin_loss(_f32(2, 3), _ints(0, -100)), ValueError,
     r"multi_margin_loss: target class indices must be in \[0, C\) = \[0, 3\); got -100"),
]


@pytest.mark.parametrize("call, exc, pattern", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_arguments(backend_name, call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@pytest.mark.parametrize("fn", ALL_LOSSES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("reduction", ["avg", "Mean", None])
def test_bad_reduction(fn, reduction):
    target = _ints(0, 1) if fn in (F.cross_entropy, F.nll_loss, F.multi_margin_loss) else _f32(2, 3)
    with pytest.raises(ValueError, match=rf"{fn.__name__}: reduction must be one of 'mean', "
                                         rf"'sum', 'none'; got {reduction!r}"):
        fn(_f32(2, 3), target, reduction=reduction)


def test_mixed_backends_raise():
    x = xpnet.tensor(np.zeros((2, 3), np.float32), backend="numpy")
    t = xpnet.tensor(np.array([0, 1]), backend="array_api_strict")
    with pytest.raises(TypeError, match="mixes tensors of backend 'numpy' and 'array_api_strict'"):
        F.cross_entropy(x, t)


@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape, target", [((0,), 0), ((2, 0), [0, 0])])
def test_no_classes_and_every_target_ignored(backend_name, fn, shape, target):
    """C = 0 with every target = ignore_index: 'none' is all zeros, 'sum' 0, 'mean' NaN
    (a mean over nothing, as torch); the class lookup raised IndexError."""
    x = xpnet.zeros(*shape, requires_grad=True)
    t = xpnet.tensor(target)
    assert fn(x, t, ignore_index=0, reduction="none").numpy().tolist() == np.zeros(
        np.shape(target)).tolist()
    total = fn(x, t, ignore_index=0, reduction="sum")
    assert total.item() == 0.0
    with np.errstate(invalid="ignore"):
        assert np.isnan(fn(x, t, ignore_index=0).item())
    total.backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("shape", [(0,), (3, 0)])
def test_probability_targets_without_classes(shape):
    """C = 0: label smoothing divided by C (ZeroDivisionError); the mean is NaN, as torch."""
    x, y = xpnet.zeros(*shape), xpnet.zeros(*shape)
    assert F.cross_entropy(x, y, label_smoothing=0.1, reduction="sum").item() == 0.0
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.cross_entropy(x, y, label_smoothing=0.1).item())


def test_multi_margin_loss_of_an_empty_batch_without_classes():
    """(0, 0) scores: 1 / C raised ZeroDivisionError; now a sum of 0 and a NaN mean."""
    x, t = xpnet.zeros(0, 0, requires_grad=True), xpnet.zeros(0, dtype="int64")
    total = F.multi_margin_loss(x, t, reduction="sum")
    assert total.item() == 0.0
    with np.errstate(invalid="ignore"):
        assert np.isnan(F.multi_margin_loss(x, t).item())
    total.backward()
    assert x.grad.shape == (0, 0)
