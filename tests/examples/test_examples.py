"""The teaching scripts in ``examples/`` run, and what each one teaches holds.

Each example's ``main(argv)`` is called in-process with small settings and its
returned results are checked against the claim its docstring makes.  The
claims and thresholds were checked for the default seed 0 and for seeds 1, 2
and 3 with the same settings, each with a margin (noted per test), so they
do not hinge on one lucky draw.  The claim tests pass ``--no-plot``; figures
are tested only when matplotlib (the ``examples`` extra) is installed.
"""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import numpy
import pytest

from backends import require_backend
from tolerances import tol

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
# in the order of examples/README.md (the order of the list of topics)
NAMES = ["convolution", "batch_norm", "optimizers", "batch_sizes", "gradients", "dropout",
         "weight_decay", "feature_scaling", "losses", "architecture"]
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
    return load(name).main(["--backend", "numpy", "--no-plot", *args])


def test_every_example_is_listed_and_documented():
    assert sorted(p.stem for p in EXAMPLES.glob("[!_]*.py")) == sorted(NAMES)  # not _common
    table = (EXAMPLES / "README.md").read_text()
    listed = re.findall(r"^\| \[`(\w+)\.py`\]\(\1\.py\) \|", table, flags=re.MULTILINE)
    assert listed == NAMES  # one table row per example, in this order
    for name in NAMES:
        doc = load(name).__doc__
        assert "Run" in doc and f"python examples/{name}.py" in doc and f"{name}.png" in doc


def test_convolution_matches_the_explicit_sum():
    for args in ([], ["--digit", "7", "--stride", "2", "--padding", "0"]):
        r = run("convolution", *args)
        assert r["output_shape"] == r["expected_shape"]
        assert r["random_output_shape"][:2] == (2, 4)
        # float32 conv2d against float64 loops: rounding only (seeds 0-3: 0 and <= 2.7e-6)
        assert r["digit_max_diff"] <= tol("float32")["atol"]
        assert r["random_max_diff"] <= tol("float32")["atol"]
    # Gy = Gx transposed, so the Gy response is the Gx response of the transposed image
    r, conv = run("convolution"), load("convolution")
    gx_of_transposed = conv.conv_and_check(
        r["image"].T[None, None].copy(), conv.SOBEL_X[None, None],
        numpy.zeros(1, numpy.float32), 1, 1)[0][0, 0]
    numpy.testing.assert_allclose(gx_of_transposed.T, r["gy"], **tol("float32"))


def test_batch_norm_trains_faster_and_eval_mode_uses_running_statistics():
    r = run("batch_norm", "--epochs", "3", "--width", "8")
    runs = r["runs"]
    # lr=0.01: the plain CNN hardly moves in 2 epochs (seeds 0-3: loss@2 2.19-2.27) while the
    # normalized one is already accurate (0.28-0.32; final test acc 0.95-0.98 vs 0.54-0.67)
    assert runs[(0.01, True)]["losses"][1] < 0.3 * runs[(0.01, False)]["losses"][1]
    assert runs[(0.01, True)]["test_accuracies"][-1] > runs[(0.01, False)]["test_accuracies"][-1] + 0.15
    assert runs[(0.1, True)]["losses"][-1] < runs[(0.1, False)]["losses"][-1]
    assert r["num_batches_tracked"] == [3 * r["batches_per_epoch"]] * 2
    # running estimates track the statistics of bn1's input over the training set
    # (seeds 0-3: mean within 0.25 std, variance within 13%: 3 epochs, the last at lr=0.1)
    std = numpy.sqrt(r["measured_var"])
    assert numpy.all(numpy.abs(r["running_mean"] - r["measured_mean"]) < 0.3 * std)
    numpy.testing.assert_allclose(r["running_var"], r["measured_var"], rtol=0.3)
    # eval mode: one image scores the same alone as in a batch (float32 rounding only);
    # train mode: the batch statistics change its scores (seeds 0-3: by 1.8-8.0)
    assert r["eval_mode_batch_effect"] < tol("float32")["atol"] * 10
    assert r["train_mode_batch_effect"] > 0.1


@pytest.mark.parametrize("name", ["array_api_strict", "cupy"])
def test_batch_norm_runs_on_other_backends(name):
    require_backend(name)
    r = load("batch_norm").main(["--backend", name, "--no-plot", "--epochs", "1", "--width", "4",
                                 "--lrs", "0.1"])
    assert r["num_batches_tracked"] == [r["batches_per_epoch"]] * 2
    assert r["eval_mode_batch_effect"] < tol("float32")["atol"] * 10


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
    assert [v["updates_per_epoch"] for v in r.values()] == [1, -(-n // 32), n]
    assert [v["batch_size"] for v in r.values()] == [n, 32, 1]
    batch, mini, sgd = (v["losses"][-1] for v in r.values())
    # seeds 0-3: batch 2.26-2.35 > mini-batch 2.09-2.20 > stochastic 0.17-0.23
    assert sgd < 0.5 * mini < 0.5 * batch


def test_gradients_vanish_explode_and_clipping_keeps_training_finite():
    r = run("gradients", "--epochs", "1", "--depth", "10")

    def ratio(act, init):  # gradient reaching the first layer / reaching the last layer
        return r[(act, init)]["bias"][0] / r[(act, init)]["bias"][-1]

    for act in ("sigmoid", "tanh", "relu"):
        assert len(r[(act, "kaiming")]["bias"]) == len(r[(act, "kaiming")]["weight"]) == 10
        assert ratio(act, "small") < 1e-6          # seeds 0-3: 5e-16 .. 1e-10: vanishing
        assert r[(act, "small")]["test_accuracy"] < 0.2  # chance: nothing learned
    # sigmoid' <= 1/4: vanishing even with Xavier or Kaiming (seeds 0-3: 2e-6 .. 3e-6), and the
    # deep sigmoid net learns nothing in an epoch (0.10) while ReLU + Kaiming does (0.45-0.75)
    for init in ("xavier", "kaiming"):
        assert ratio("sigmoid", init) < 1e-4
        assert r[("sigmoid", init)]["test_accuracy"] < 0.2
    for act in ("tanh", "relu"):
        assert max(r[(act, "small")]["weight"]) < 1e-6
        assert 0.1 < ratio(act, "kaiming") < 10   # seeds 0-3: 0.6 .. 2
    assert ratio("relu", "large") > 1e3           # seeds 0-3: 2e6 .. 4e6: exploding
    assert r[("relu", "large")]["test_accuracy"] is None  # the loss became NaN/inf
    # ReLU needs Kaiming's factor 2: seeds 0-3 reach 0.45-0.75 vs Xavier's 0.20-0.35
    assert r[("relu", "kaiming")]["test_accuracy"] > r[("relu", "xavier")]["test_accuracy"] + 0.1
    assert r[("clip", None)]["finite"] is False
    assert r[("clip", 1.0)]["finite"] is True
    assert len(r[("clip", 1.0)]["losses"]) > len(r[("clip", None)]["losses"])


def test_dropout_narrows_the_train_test_gap_and_too_much_underfits():
    r = run("dropout", "--epochs", "30", "--ps", "0", "0.5", "0.8")
    none, half, most = r[0.0], r[0.5], r[0.8]
    # without dropout the network memorizes most of the 30% wrong labels (a model that
    # learned only the true classes would score ~0.7 on them): seeds 0-3 reach 0.92-0.98
    # on the noisy training labels, with accuracy gaps of 0.13-0.28
    assert none["train_accuracy"] > 0.85 and none["accuracy_gap"] > 0.1
    # seeds 0-3: gaps -0.11 .. -0.01 with p=0.5, and a better test accuracy (0.74-0.83 vs 0.70-0.79)
    assert half["accuracy_gap"] < none["accuracy_gap"] - 0.1
    assert half["loss_gap"] < 0.5 * none["loss_gap"]
    assert half["test_accuracy"] > none["test_accuracy"]
    # p=0.8 underfits: not even the training set is learned (seeds 0-3: 0.52-0.59; test 0.59-0.66)
    assert most["train_accuracy"] < 0.7 and most["test_accuracy"] < half["test_accuracy"]


def test_weight_decay_l2_in_adam_decays_unevenly_adamw_evenly():
    r = run("weight_decay", "--epochs", "30", "--wds", "0.01", "0.03", "3", "10")
    for rule, v in r.items():
        assert v["runs"][v["best_wd"]]["weight_norm"] < v["runs"][0.0]["weight_norm"], rule
    for rule in ("Adam + L2", "AdamW"):
        # seeds 0-3: the best wd gains 0.03-0.06 test accuracy over no decay (SGD's: 0.003-0.05)
        v = r[rule]
        assert v["runs"][v["best_wd"]]["test_accuracy"] > v["runs"][0.0]["test_accuracy"] + 0.01
    # AdamW's wd multiplies lr=1e-3; L2 in Adam is rescaled: best values far apart
    # (seeds 0-3: 0.03 vs 3 or 10)
    assert r["AdamW"]["best_wd"] >= 30 * r["Adam + L2"]["best_wd"]

    def evenness(rule):  # shrinkage of the smallest-gradient quarter / of the largest
        return r[rule]["shrinkage"][0] / r[rule]["shrinkage"][-1]

    # seeds 0-3: L2 in Adam 0.18-0.22 (5x more decay for small gradients), AdamW 0.79-0.95
    assert evenness("Adam + L2") < 0.5 * evenness("AdamW")


def test_feature_scaling_standardized_features_allow_a_large_learning_rate():
    r = run("feature_scaling", "--epochs", "3", "--lrs", "0.03", "0.1", "0.3", "1.0")
    none, standard = r["none"], r["standard"]
    assert none["feature_range"] == (0.0, 16.0)
    assert r["minmax"]["feature_range"] == pytest.approx((0.0, 1.0))
    # lr=1 kills the unscaled network (loss stays at ln 10 = 2.30 on seeds 0-3) ...
    assert none["runs"][1.0]["final_loss"] > 2.0
    # ... while standardized features train well there (0.07-0.16 on seeds 0-3)
    assert standard["runs"][1.0]["final_loss"] < 0.5
    assert standard["best_lr"] > none["best_lr"]  # seeds 0-3: 0.3 or 1 vs 0.03
    # at each one's best rate, standardized converges further (ratio 0.43-0.63 on seeds 0-3)
    best = {k: v["runs"][v["best_lr"]]["final_loss"] for k, v in r.items()}
    assert best["standard"] < 0.75 * best["none"]


def test_losses_robust_regression_and_classification():
    r = run("losses", "--epochs", "3")
    reg = r["regression"]
    # outliers tilt the MSE line (seeds 0-3: line error 1.11-1.25) but hardly the MAE
    # (0.04-0.12) and Huber (0.15-0.17) lines
    for name in ("MAE (L1)", "Huber (delta=1)"):
        assert reg[name]["line_error"] < 0.3, name
        assert reg["MSE"]["line_error"] > 3 * reg[name]["line_error"], name
    final = {name: v["test_accuracies"][-1] for name, v in r["classification"].items()}
    # SGD with momentum: MSE's small gradients learn slower (seeds 0-3: 0.80-0.84 vs CE 0.93-0.95;
    # multi-margin 0.92-0.95)
    assert final["cross entropy"] > final["MSE on one-hot"] + 0.05
    assert final["multi-margin"] > 0.85
    binary = r["classification"]["BCE, 0 vs rest"]
    assert binary["baseline"] == pytest.approx(0.9, abs=0.01)
    assert final["BCE, 0 vs rest"] > binary["baseline"] + 0.05  # 0.998-1.0
    # Adam rescales gradients, so the gap disappears (seeds 0-3: MSE 0.92-0.95, CE 0.89-0.92)
    cls = run("losses", "--epochs", "3", "--optimizer", "adam", "--steps", "1")["classification"]
    assert cls["MSE on one-hot"]["test_accuracies"][-1] > cls["cross entropy"]["test_accuracies"][-1] - 0.02


def test_architecture_parameter_counts_and_capacity():
    r = run("architecture", "--depths", "0", "1", "4", "--widths", "2", "32", "--epochs", "5")
    # Linear(i, o) has i*o + o parameters
    assert r[(0, 0)]["parameters"] == 64 * 10 + 10
    assert r[(1, 32)]["parameters"] == (64 * 32 + 32) + (32 * 10 + 10)
    assert r[(4, 32)]["parameters"] == (64 * 32 + 32) + 3 * (32 * 32 + 32) + (32 * 10 + 10)
    # 2 units underfit at any depth, even on the training set (seeds 0-3: 0.10-0.36)
    for depth in (1, 4):
        assert r[(depth, 2)]["train_accuracy"] < 0.5
        assert r[(depth, 32)]["test_accuracy"] > r[(depth, 2)]["test_accuracy"] + 0.3
    assert r[(1, 32)]["test_accuracy"] > 0.85  # seeds 0-3: 0.91-0.94


SMALL = {
    "convolution": [],
    "batch_norm": ["--epochs", "1", "--width", "4", "--lrs", "0.1"],
    "optimizers": ["--epochs", "2", "--optimizers", "SGD", "Adam"],
    "batch_sizes": ["--epochs", "1", "--train-size", "40"],
    "gradients": ["--epochs", "1", "--depth", "3"],
    "dropout": ["--epochs", "2", "--train-size", "50", "--ps", "0", "0.5"],
    "weight_decay": ["--epochs", "1", "--train-size", "50", "--wds", "0.1"],
    "feature_scaling": ["--epochs", "2", "--lrs", "0.1"],
    "losses": ["--epochs", "2", "--steps", "10"],
    "architecture": ["--epochs", "1", "--depths", "0", "1", "--widths", "4"],
}


@pytest.mark.parametrize("name", NAMES)
def test_writes_its_figure_by_default(name, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    load(name).main(["--backend", "numpy", *SMALL[name]])  # no --plot: <name>.png here
    path = tmp_path / f"{name}.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


def test_runs_as_a_script_on_the_backend_of_xpnet_backend_without_matplotlib(tmp_path):
    """``XPNET_BACKEND=cudasim python examples/convolution.py`` without matplotlib: it says so,
    prints its results and writes no file."""
    require_backend("cudasim")
    code = (f"import runpy, sys\n"
            f"sys.modules['matplotlib'] = None  # import matplotlib now fails\n"
            f"sys.argv = ['convolution.py']\n"
            f"runpy.run_path({str(EXAMPLES / 'convolution.py')!r}, run_name='__main__')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(EXAMPLES)]),
           "XPNET_BACKEND": "cudasim"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "convolution.py: backend cudasim" in out.stdout
    assert "matplotlib is not installed" in out.stdout and "convolution.png not written" in out.stdout
    diffs = re.search(r"Sobel on the digit (\S+); .* \(2, 3, 9, 9\), w \(4, 3, 3, 3\) (\S+)", out.stdout)
    assert diffs and max(map(float, diffs.groups())) <= tol("float32")["atol"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["cudasim", "array_api_strict"])
@pytest.mark.parametrize("name", NAMES)
def test_runs_on_other_backends(name, backend):
    """Every example, tiny, on the simulated CUDA kernels and on the strict Array API namespace."""
    require_backend(backend)
    load(name).main(["--backend", backend, "--no-plot", *SMALL[name]])


def drawn_figure(name, monkeypatch, *args):
    """Run example ``name`` and return its figure, drawn, instead of writing it."""
    pytest.importorskip("matplotlib")
    module, figures = load(name), []
    monkeypatch.setattr(module, "save_figure", lambda fig, path: figures.append(fig))
    module.main(["--backend", "numpy", *args])
    figures[0].tight_layout()
    figures[0].canvas.draw()
    return figures[0]


def test_optimizers_legend_hides_no_curve(monkeypatch):
    """With the default 7 optimizers and 10 epochs, no point of any curve lies under the legend
    (it used to sit on plain SGD's curve in the upper right)."""
    fig = drawn_figure("optimizers", monkeypatch)
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent()
    for line in ax.get_lines():
        points = ax.transData.transform(line.get_xydata())
        assert not any(box.contains(x, y) for x, y in points), line.get_label()


def test_batch_norm_epoch_axes_have_whole_epoch_ticks(monkeypatch):
    fig = drawn_figure("batch_norm", monkeypatch, "--epochs", "3", "--width", "4", "--lrs", "0.1")
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
