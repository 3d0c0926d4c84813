"""The teaching scripts in ``examples/`` run, and what each one teaches holds.

Each example's ``main(argv)`` is called in-process with small settings and its
returned results are checked against the claim its docstring makes.  The
claims and thresholds were checked for the default seed 0 and for seeds 1, 2
and 3 with the same settings, each with a wide margin (noted per test), so
they do not hinge on one lucky draw.  Plots are tested only when matplotlib
(the ``examples`` extra) is installed.
"""
import importlib.util
import math
import os
import pathlib
import subprocess
import sys

import numpy
import pytest

from backends import require_backend

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NAMES = ["optimizers", "batch_sizes", "initialization", "feature_scaling", "regularization",
         "losses", "cnn"]
# The examples import their shared plumbing, examples/_common.py, as ``_common``: running
# ``python examples/<name>.py`` puts that folder on sys.path, so do the same here.
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))


def load(name):
    """Import ``examples/<name>.py`` as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"xpnet_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name, *args):
    return load(name).main(["--backend", "numpy", *args])


def test_every_example_is_listed_and_documented():
    assert sorted(p.stem for p in EXAMPLES.glob("[!_]*.py")) == sorted(NAMES)  # not _common
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Examples\n", 1)[1].split("\n## ", 1)[0]
    for name in NAMES:
        module = load(name)
        assert "Run" in module.__doc__ and f"examples/{name}.py" in module.__doc__
        assert f"* `{name}.py` — " in section


def test_optimizers_adaptive_and_momentum_beat_plain_sgd():
    r = run("optimizers", "--epochs", "3")
    sgd = r["SGD"]["losses"][-1]
    # seeds 0-3: SGD 1.88-1.97; Adam 0.63-0.68; momentum, Nesterov, Adagrad, RMSprop 0.25-0.36
    for name in ("SGD+momentum", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW"):
        assert r[name]["losses"][-1] < 0.5 * sgd, name
    for name, result in r.items():
        assert result["losses"][-1] < result["losses"][0], name
        assert 0.0 <= result["test_accuracy"] <= 1.0
    # decoupled weight decay shrinks the weights (by ~0.06 of ~7 on seeds 0-3, deterministic)
    assert r["AdamW"]["weight_norm"] < r["Adam"]["weight_norm"]


def test_batch_sizes_count_updates_and_more_updates_lower_the_loss():
    n = 300
    r = run("batch_sizes", "--epochs", "2", "--train-size", str(n), "--mini-batch", "32")
    assert [v["updates_per_epoch"] for v in r.values()] == [1, math.ceil(n / 32), n]
    assert [v["batch_size"] for v in r.values()] == [n, 32, 1]
    batch, mini, sgd = (v["losses"][-1] for v in r.values())
    # seeds 0-3: batch 2.26-2.35 > mini-batch 2.09-2.20 > stochastic 0.17-0.23
    assert sgd < 0.5 * mini < 0.5 * batch


def test_initialization_vanishing_exploding_and_clipping():
    r = run("initialization", "--epochs", "1", "--depth", "10")

    def ratio(act, init):  # gradient reaching the first layer / reaching the last layer
        return r[(act, init)]["bias"][0] / r[(act, init)]["bias"][-1]

    for act in ("tanh", "relu"):
        assert len(r[(act, "kaiming")]["bias"]) == len(r[(act, "kaiming")]["weight"]) == 10
        assert ratio(act, "small") < 1e-6          # seeds 0-3: 6e-12 .. 1e-10: vanishing
        assert max(r[(act, "small")]["weight"]) < 1e-6
        assert r[(act, "small")]["test_accuracy"] < 0.2  # chance: nothing learned
        assert 0.1 < ratio(act, "kaiming") < 10   # seeds 0-3: 0.6 .. 2
    assert ratio("relu", "large") > 1e3           # seeds 0-3: 2e6 .. 4e6: exploding
    assert r[("relu", "large")]["test_accuracy"] is None  # the loss became NaN/inf
    # ReLU needs Kaiming's factor 2: seeds 0-3 reach 0.45-0.75 vs Xavier's 0.20-0.35
    assert r[("relu", "kaiming")]["test_accuracy"] > r[("relu", "xavier")]["test_accuracy"] + 0.1
    assert r[("clip", None)]["finite"] is False
    assert r[("clip", 1.0)]["finite"] is True


def test_feature_scaling_standardized_features_allow_a_large_learning_rate():
    r = run("feature_scaling", "--epochs", "3", "--lrs", "0.03", "1.0")
    none, standard = r["none"], r["standard"]
    assert none["feature_range"] == (0.0, 16.0)
    assert r["minmax"]["feature_range"] == pytest.approx((0.0, 1.0))
    # lr=1 kills the unscaled network (loss stays at ln 10 = 2.30 on seeds 0-3) ...
    assert none["runs"][1.0]["final_loss"] > 2.0
    # ... while standardized features train best there (0.08-0.15 on seeds 0-3)
    assert standard["runs"][1.0]["final_loss"] < 0.5
    assert standard["best_lr"] > none["best_lr"]
    # at each one's best rate, standardized converges further (ratio <= 0.72 on seeds 0-3)
    best = {k: v["runs"][v["best_lr"]]["final_loss"] for k, v in r.items()}
    assert best["standard"] < 0.85 * best["none"]


def test_regularization_narrows_the_train_test_gap():
    r = run("regularization", "--epochs", "30")
    none = r["none"]
    # without regularization the network memorizes most of the 30% wrong labels (a model
    # that learned only the true classes would score ~0.7 on them): seeds 0-3 reach
    # 0.92-0.98 on the noisy training labels, with accuracy gaps of 0.16-0.30
    assert none["train_accuracy"] > 0.85 and none["accuracy_gap"] > 0.1
    for name in ("dropout", "weight decay"):
        # seeds 0-3: gaps -0.10 .. 0.05 with dropout or weight decay
        assert r[name]["accuracy_gap"] < none["accuracy_gap"] - 0.1, name
        assert r[name]["loss_gap"] < 0.5 * none["loss_gap"], name
    assert r["dropout"]["test_accuracy"] > none["test_accuracy"]  # 0.75-0.83 vs 0.68-0.77


def test_losses_cross_entropy_vs_mse_and_binary_baseline():
    r = run("losses", "--epochs", "3")
    final = {name: v["test_accuracies"][-1] for name, v in r.items()}
    # plain SGD: MSE's small gradients learn slower (seeds 0-3: 0.80-0.84 vs CE 0.93-0.95)
    assert final["cross entropy"] > final["MSE on one-hot"] + 0.05
    assert final["multi-margin"] > 0.85
    binary = r["BCE, 0 vs rest"]
    assert binary["baseline"] == pytest.approx(0.9, abs=0.01)
    assert final["BCE, 0 vs rest"] > binary["baseline"] + 0.05  # 0.998-1.0
    # Adam rescales gradients, so the gap disappears (seeds 0-3: MSE 0.92-0.95, CE 0.89-0.92)
    r = run("losses", "--epochs", "3", "--optimizer", "adam")
    assert r["MSE on one-hot"]["test_accuracies"][-1] > r["cross entropy"]["test_accuracies"][-1] - 0.02


def test_cnn_batch_norm_running_statistics_and_eval_mode():
    r = run("cnn", "--epochs", "2")
    assert r["test_accuracy"] > 0.9  # seeds 0-3: 0.94-0.95
    assert r["num_batches_tracked"] == [2 * r["batches_per_epoch"]] * 2
    # running estimates track the statistics of bn1's input over the training set
    # (seeds 0-3: mean within 0.03 std, variance within 3%)
    std = numpy.sqrt(r["measured_var"])
    assert numpy.all(numpy.abs(r["running_mean"] - r["measured_mean"]) < 0.15 * std)
    numpy.testing.assert_allclose(r["running_var"], r["measured_var"], rtol=0.15)
    # eval mode: one image scores the same alone as in a batch (float32 rounding only);
    # train mode: the batch statistics change its scores (seeds 0-3: by 0.47-1.14)
    assert r["eval_mode_batch_effect"] < 1e-4
    assert r["train_mode_batch_effect"] > 0.05


@pytest.mark.parametrize("name", ["array_api_strict", "cupy"])
def test_cnn_runs_on_other_backends(name):
    require_backend(name)
    r = load("cnn").main(["--backend", name, "--epochs", "1", "--width", "4"])
    assert r["num_batches_tracked"] == [r["batches_per_epoch"]] * 2
    assert r["eval_mode_batch_effect"] < 1e-4


SMALL = {
    "optimizers": ["--epochs", "2", "--optimizers", "SGD", "Adam"],
    "batch_sizes": ["--epochs", "1", "--train-size", "40"],
    "initialization": ["--epochs", "1", "--depth", "3"],
    "feature_scaling": ["--epochs", "2", "--lrs", "0.1"],
    "regularization": ["--epochs", "2", "--train-size", "50"],
    "losses": ["--epochs", "2"],
    "cnn": ["--epochs", "2", "--width", "4"],
}


@pytest.mark.parametrize("name", NAMES)
def test_plot_writes_a_png(name, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / f"{name}.png"
    run(name, *SMALL[name], "--plot", str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


def test_runs_as_a_script_without_matplotlib():
    """``python examples/losses.py`` works from the command line and never imports matplotlib."""
    code = (f"import runpy, sys\n"
            f"sys.argv = ['losses.py', '--epochs', '1']\n"
            f"runpy.run_path({str(EXAMPLES / 'losses.py')!r}, run_name='__main__')\n"
            f"assert 'matplotlib' not in sys.modules\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(EXAMPLES)]),
           "XPNET_BACKEND": "numpy"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "cross entropy" in out.stdout and "BCE, 0 vs rest" in out.stdout
