"""Layer, loss and optimizer code is written against the backend's namespace only.

Two halves of one promise (issue 2, "Backend switch"):

* statically: no module under ``xpnet/nn``, ``xpnet/optim`` or
  ``xpnet/train`` imports NumPy or CuPy (host chores go through
  ``xpnet.dtypes``, ``xpnet.host`` and ``xpnet.random``);
* dynamically: the generic paths (forward, loss, backward, gradient clipping,
  every optimizer, a scheduler) run end to end with ``array_api_strict`` as
  the namespace, where a NumPy-only function, a NumPy scalar or an implicit
  dtype mix raises, and they give the NumPy backend's numbers.
"""
import ast
import pathlib

import numpy
import pytest

import xpnet
from backends import require_backend
from tolerances import assert_close
from xpnet import nn, optim
from xpnet.train.models import reference_cnn

ROOT = pathlib.Path(xpnet.__file__).parent
GENERIC_PACKAGES = ("nn", "optim", "train")
FORBIDDEN = ("numpy", "cupy")


# ---------------------------------------------------------------------- #
# static: the import rule
# ---------------------------------------------------------------------- #
def _forbidden_imports(source: str, filename: str):
    """``(line, text)`` of every import of NumPy or CuPy in ``source``.

    Catches ``import numpy[.x] [as y]``, ``from numpy[.x] import ...`` and
    ``importlib.import_module("cupy")`` / ``__import__("numpy")`` with a
    literal name; relative imports (``from .numpy_x import``) are our own.
    """
    def forbidden(name):
        return name is not None and name.split(".")[0] in FORBIDDEN

    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module] if node.level == 0 and forbidden(node.module) else []
        elif isinstance(node, ast.Call):
            fn = node.func
            called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", None)
            arg = node.args[0] if node.args else None
            literal = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) \
                else None
            names = [literal] if called in ("import_module", "__import__") and \
                forbidden(literal) else []
        else:
            continue
        if names:
            found.append((node.lineno, ast.get_source_segment(source, node)))
    return found


def _generic_modules():
    return sorted(p for pkg in GENERIC_PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_checker_sees_every_spelling():
    snippet = "\n".join([
        "import os",
        "import numpy as np",              # 2
        "import os.path, cupy.linalg",     # 3
        "from numpy.random import default_rng",  # 4
        "from .numpy_backend import x",    # relative: ours
        "def f():",
        "    import cupy",                 # 7: inside a function counts too
        "    importlib.import_module('numpy')",  # 8
        "    return __import__('cupyx')",  # not cupy: cupyx is another name
        "numpyish = 1",
    ])
    assert [line for line, _ in _forbidden_imports(snippet, "<snippet>")] == [2, 3, 4, 7, 8]


def test_generic_code_never_imports_numpy_or_cupy():
    modules = _generic_modules()
    assert len(modules) >= 20, f"found only {len(modules)} modules under {GENERIC_PACKAGES}"
    offences = [f"{path.relative_to(ROOT.parent)}:{line}: {text}"
                for path in modules
                for line, text in _forbidden_imports(path.read_text(), str(path))]
    assert not offences, (
        "layer/loss/optimizer/training code must use the backend's namespace "
        "(tensor.backend.xp) and the host helpers in xpnet.dtypes / xpnet.host / "
        "xpnet.random instead of importing NumPy or CuPy:\n  "
        + "\n  ".join(offences))


# ---------------------------------------------------------------------- #
# dynamic: the same training steps on array_api_strict and on NumPy
# ---------------------------------------------------------------------- #
OPTIMIZERS = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "SGD-plain": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.5, dampening=0.1),
    "Adagrad": lambda ps: optim.Adagrad(ps, lr=0.05, lr_decay=0.01, weight_decay=1e-3),
    "RMSprop": lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True,
                                        weight_decay=1e-3),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01, weight_decay=1e-3, amsgrad=True),
    "AdamW": lambda ps: optim.AdamW(ps, lr=0.01),
}


def mlp():
    """An MLP through every activation and a dropout (input 1x8x8, as the digits)."""
    return nn.Sequential(
        nn.Flatten(), nn.Linear(64, 32), nn.GELU(), nn.Dropout(0.25),
        nn.Linear(32, 16), nn.ELU(), nn.Linear(16, 16), nn.LeakyReLU(0.1), nn.Tanh(),
        nn.Linear(16, 16), nn.Sigmoid(), nn.Linear(16, 10))


def _train(backend, build, loss_fn, make_optimizer, x_host, y_host, steps=2):
    """Losses of ``steps + 1`` forward passes with an optimizer step between them,
    and the final parameters, all on ``backend`` in float64."""
    with xpnet.use_backend(backend) as be:
        xpnet.manual_seed(0)  # same weights and dropout masks on both backends
        model = build().double()
        opt = make_optimizer(list(model.parameters()))
        sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        x, y = xpnet.tensor(x_host), xpnet.tensor(y_host)
        losses = []
        for step in range(steps + 1):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            assert be.is_array(loss.data) and loss.dtype == numpy.float64
            losses.append(loss.item())
            if step == steps:
                break
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
            opt.step()
            sched.step()
        params = list(model.parameters())
        assert all(be.is_array(p.data) for p in params)
        assert all(be.is_array(a) for p in params for k, a in opt.state[p].items()
                   if k != "step")
        return losses, [p.numpy() for p in params]


def _compare_with_numpy(build, loss_fn, make_optimizer, x, y):
    require_backend("array_api_strict")
    strict = _train("array_api_strict", build, loss_fn, make_optimizer, x, y)
    reference = _train("numpy", build, loss_fn, make_optimizer, x, y)
    assert_close(numpy.array(strict[0]), numpy.array(reference[0]), "float64")
    assert reference[0][2] != reference[0][0], "the optimizer steps changed nothing"
    for got, want in zip(strict[1], reference[1]):
        assert_close(got, want, "float64")


def _batch(shape, classes=10, seed=1):
    rng = numpy.random.default_rng(seed)
    return rng.standard_normal(shape), rng.integers(0, classes, shape[0])


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_reference_cnn_trains_identically_on_array_api_strict(name):
    x, y = _batch((2, 1, 28, 28))
    _compare_with_numpy(reference_cnn, nn.CrossEntropyLoss(label_smoothing=0.1),
                        OPTIMIZERS[name], x, y)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_mlp_trains_identically_on_array_api_strict(name):
    x, y = _batch((5, 1, 8, 8))
    _compare_with_numpy(mlp, nn.CrossEntropyLoss(), OPTIMIZERS[name], x, y)


def _one_hot(y):
    return xpnet.tensor(numpy.eye(10)[y.numpy()], dtype="float64", backend=y.backend)


LOSSES = {  # output (N, 10) float64, target (N,) int64 class indices
    "nll": lambda out, y: nn.NLLLoss()(nn.LogSoftmax(dim=1)(out), y),
    "mse": lambda out, y: nn.MSELoss()(nn.Softmax(dim=1)(out), _one_hot(y)),
    "l1": lambda out, y: nn.L1Loss(reduction="sum")(out, _one_hot(y)),
    "huber": lambda out, y: nn.HuberLoss(delta=0.5)(out, _one_hot(y)),
    "bce": lambda out, y: nn.BCELoss()(nn.Sigmoid()(out), _one_hot(y)),
    "bce_logits": lambda out, y: nn.BCEWithLogitsLoss()(out, _one_hot(y)),
    "hinge": lambda out, y: nn.MultiMarginLoss()(out, y),
}


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_loss_trains_identically_on_array_api_strict(loss):
    x, y = _batch((5, 1, 8, 8))
    _compare_with_numpy(mlp, LOSSES[loss], OPTIMIZERS["Adam"], x, y)
