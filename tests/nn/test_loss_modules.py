"""Loss modules (``xpnet.nn.loss``): thin wrappers around the functions.

The numerics are tested in ``test_loss_functional.py``; here: each module
with its options gives exactly the function's value and gradients on every
backend, defaults match PyTorch's modules, options are checked at
construction, and class weights are buffers (saved, converted by ``.to``).
"""
import numpy as np
import pytest

import xpnet
import xpnet.nn.functional as F
from xpnet import nn
from tolerances import assert_close


def regression(r):
    return r.standard_normal((3, 4)), r.standard_normal((3, 4))


def probabilities(r):
    return r.uniform(0.05, 0.95, (3, 4)), r.uniform(0, 1, (3, 4))


def binary_logits(r):
    return 2 * r.standard_normal((3, 4)), r.uniform(0, 1, (3, 4))


def class_indices(r):
    t = r.integers(0, 4, 5)
    t[1] = -100
    return 2 * r.standard_normal((5, 4)), t


def class_indices_all_valid(r):
    return 2 * r.standard_normal((5, 4)), r.integers(0, 4, 5)


W4 = np.array([0.5, 1.0, 1.5, 2.0])

# (id, module class, constructor kwargs, function, function kwargs, data)
MODULES = [
    ("mse", nn.MSELoss, {}, F.mse_loss, {}, regression),
    ("l1", nn.L1Loss, {}, F.l1_loss, {}, regression),
    ("huber", nn.HuberLoss, {"delta": 0.7}, F.huber_loss, {"delta": 0.7}, regression),
    ("bce", nn.BCELoss, {"weight": W4}, F.binary_cross_entropy, {"weight": W4}, probabilities),
    ("bce_logits", nn.BCEWithLogitsLoss, {"weight": W4, "pos_weight": W4[::-1].copy()},
     F.binary_cross_entropy_with_logits, {"weight": W4, "pos_weight": W4[::-1].copy()},
     binary_logits),
    ("nll", nn.NLLLoss, {"weight": W4}, F.nll_loss, {"weight": W4}, class_indices),
    ("ce", nn.CrossEntropyLoss, {"weight": W4, "label_smoothing": 0.2}, F.cross_entropy,
     {"weight": W4, "label_smoothing": 0.2}, class_indices),
    ("ce_ignore_index", nn.CrossEntropyLoss, {"ignore_index": 2}, F.cross_entropy,
     {"ignore_index": 2}, class_indices_all_valid),
    ("multi_margin", nn.MultiMarginLoss, {"p": 2, "margin": 0.5, "weight": W4},
     F.multi_margin_loss, {"p": 2, "margin": 0.5, "weight": W4}, class_indices_all_valid),
]


def _tensors(kwargs, dtype):
    return {k: xpnet.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v
            for k, v in kwargs.items()}


def _data(make, dtype, seed=0):
    x, t = make(np.random.default_rng(seed))
    return x.astype(dtype), (t.astype(dtype) if t.dtype.kind == "f" else t)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, cls, ctor, fn, fkw, make", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_function(backend_name, name, cls, ctor, fn, fkw, make, reduction, dtype):
    x, t = _data(make, dtype)
    module = cls(reduction=reduction, **_tensors(ctor, dtype))
    X1 = xpnet.tensor(x, requires_grad=True)
    X2 = xpnet.tensor(x, requires_grad=True)
    out = module(X1, xpnet.tensor(t))
    want = fn(X2, xpnet.tensor(t), reduction=reduction, **_tensors(fkw, dtype))
    np.testing.assert_array_equal(out.numpy(), want.numpy())
    out.sum().backward()
    want.sum().backward()
    np.testing.assert_array_equal(X1.grad.numpy(), X2.grad.numpy())


TORCH_DEFAULTS = [("MSELoss", regression), ("L1Loss", regression), ("HuberLoss", regression),
                  ("BCELoss", probabilities), ("BCEWithLogitsLoss", binary_logits),
                  ("NLLLoss", class_indices), ("CrossEntropyLoss", class_indices),
                  ("MultiMarginLoss", class_indices_all_valid)]


@pytest.mark.parametrize("name, make", TORCH_DEFAULTS, ids=[d[0] for d in TORCH_DEFAULTS])
def test_defaults_match_torch(name, make, torch_one_thread):
    torch = torch_one_thread
    x, t = _data(make, np.float64, seed=3)
    X = xpnet.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    out = getattr(nn, name)()(X, xpnet.tensor(t))
    want = getattr(torch.nn, name)()(tx, torch.tensor(t))
    assert_close(out, want.detach().numpy())
    out.backward()
    want.backward()
    assert_close(X.grad, tx.grad.numpy())


def test_options_are_stored_and_shown():
    loss = nn.CrossEntropyLoss(ignore_index=3, reduction="sum", label_smoothing=0.1)
    assert (loss.reduction, loss.ignore_index, loss.label_smoothing) == ("sum", 3, 0.1)
    assert loss.weight is None
    assert repr(loss) == ("CrossEntropyLoss(reduction='sum', ignore_index=3, "
                          "label_smoothing=0.1)")
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"
    assert list(loss.parameters()) == []


def test_weights_are_buffers():
    loss = nn.BCEWithLogitsLoss(weight=[1.0, 2.0], pos_weight=np.array([3.0, 4.0]))
    assert isinstance(loss.weight, xpnet.Tensor) and loss.weight.dtype == np.float32
    assert list(loss.state_dict()) == ["weight", "pos_weight"]
    assert not loss.weight.requires_grad
    loss.double()
    assert loss.weight.dtype == np.float64 and loss.pos_weight.dtype == np.float64
    x = xpnet.tensor(np.zeros((1, 2)))
    # l = w (1 - y) x + w (1 + (pw - 1) y) log 2 at x = 0, y = 1: w pw log 2
    assert_close(loss(x, xpnet.tensor(np.ones((1, 2)))), np.mean([3 * np.log(2), 8 * np.log(2)]))


def test_weight_moves_with_module(backend_name):
    loss = nn.CrossEntropyLoss(weight=xpnet.tensor([1.0, 3.0], backend="numpy"))
    loss.to(backend_name)
    assert loss.weight.backend.name == backend_name
    x = xpnet.tensor(np.array([[0.0, 0.0], [0.0, 0.0]]))
    # equal logits: -logp = log 2 for both; weighted mean (1 log2 + 3 log2) / 4
    assert_close(loss(x, xpnet.tensor([0, 1])), np.log(2))


CONSTRUCTOR_ERRORS = [
    (lambda: nn.MSELoss(reduction="avg"), ValueError,
     r"MSELoss: reduction must be one of 'mean', 'sum', 'none'; got 'avg'"),
    (lambda: nn.L1Loss(reduction=None), ValueError, r"L1Loss: reduction must be .*; got None"),
    (lambda: nn.HuberLoss(delta=-1.0), ValueError, r"HuberLoss: delta must be > 0; got -1.0"),
    (lambda: nn.BCELoss(reduction="elementwise_mean"), ValueError,
     r"BCELoss: reduction .*; got 'elementwise_mean'"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=1.1), ValueError,
     r"CrossEntropyLoss: label_smoothing must be in \[0.0, 1.0\]; got 1.1"),
    (lambda: nn.CrossEntropyLoss(ignore_index="none"), TypeError,
     r"CrossEntropyLoss: ignore_index must be an int; got 'none'"),
    (lambda: nn.NLLLoss(ignore_index=2.0), TypeError, r"NLLLoss: ignore_index must be an int"),
    (lambda: nn.MultiMarginLoss(p=0), ValueError, r"MultiMarginLoss: p must be 1 or 2; got 0"),
    (lambda: nn.MultiMarginLoss(margin="1"), TypeError,
     r"MultiMarginLoss: margin must be a real number; got '1'"),
    (lambda: nn.BCEWithLogitsLoss(reduction="SUM"), ValueError, r"got 'SUM'"),
]


@pytest.mark.parametrize("make, exc, pattern", CONSTRUCTOR_ERRORS)
def test_constructor_errors(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


def test_forward_errors_come_from_the_function():
    with pytest.raises(ValueError, match=r"cross_entropy: target class indices must be in "
                                         r"\[0, C\) = \[0, 3\).*; got 5"):
        nn.CrossEntropyLoss()(xpnet.tensor(np.zeros((2, 3), np.float32)), xpnet.tensor([0, 5]))
