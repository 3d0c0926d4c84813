"""``xpnet train``: flags, validation, one-line errors, and a killed run that resumes bit-identically."""
import os
import shlex
import signal
import subprocess
import sys
import time

import numpy
import pytest

import xpnet
from xpnet.cli import build_parser, main
from xpnet.cli.train import EXAMPLES, config_from_args
from xpnet.train import job

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_train_command_prints_epochs_and_test_accuracy(capsys):
    assert main(["train", "--model", "mlp", "--epochs", "2", "--no-progress",
                 "--optimizer", "sgd", "--lr", "0.05", "--batch-size", "32"]) == 0
    out = capsys.readouterr().out
    assert "epoch   1" in out and "epoch   2" in out and "test accuracy:" in out


def test_every_flag_reaches_the_config():
    args = build_parser().parse_args(
        "train --model mlp --data digits --optimizer nesterov --lr 0.05 --momentum 0.8 "
        "--weight-decay 1e-4 --dropout 0.2 --batch-size full --scale minmax --init he "
        "--activation tanh --clip-grad-norm 2.5 --epochs 7 --seed 3 --backend numpy".split())
    assert config_from_args(args).to_dict() == dict(
        model="mlp", data="digits", optimizer="nesterov", lr=0.05, momentum=0.8,
        weight_decay=1e-4, dropout=0.2, batch_size="full", scale="minmax", init="he",
        activation="tanh", clip_grad_norm=2.5, epochs=7, seed=3, backend="numpy",
        test_size=0.25)


def test_defaults_are_resolved():
    config = config_from_args(build_parser().parse_args(["train", "--backend", "numpy"]))
    assert (config.model, config.epochs, config.dropout, config.batch_size, config.momentum,
            config.weight_decay) == ("cnn", 15, 0.5, 64, None, 0.0)
    mlp = config_from_args(build_parser().parse_args(["train", "--model", "mlp",
                                                      "--optimizer", "adamw"]))
    assert (mlp.epochs, mlp.dropout, mlp.weight_decay) == (40, 0.1, 0.01)


@pytest.mark.parametrize("argv", [
    "--epochs 0", "--epochs 1.5", "--lr -1", "--lr nan", "--optimizer lbfgs", "--model rnn",
    "--batch-size 0", "--batch-size fill", "--dropout 1", "--dropout -0.1", "--momentum 1.5",
    "--scale robust", "--init orthogonal", "--activation gelu", "--clip-grad-norm 0",
    "--seed -1", "--weight-decay -1", "--backend tpu"])
def test_bad_flags_exit_2_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(["train"] + argv.split())
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "error: argument " + argv.split()[0] in err


@pytest.mark.parametrize("argv,fragment", [
    ("--optimizer adam --momentum 0.5", "momentum applies to the optimizers momentum, nesterov"),
    ("--optimizer nesterov --momentum 0", "momentum must be > 0 for optimizer 'nesterov'"),
    ("--data {tmp}/mnist/", "does not exist; pass an .npz file or a folder"),
    ("--data {tmp}/corrupt.npz", "corrupt.npz"),
    ("--plot {tmp}/no/such/folder/run.png", "--plot {tmp}/no/such/folder/run.png: the folder"),
    ("--resume {tmp}/missing.xpt", "--resume {tmp}/missing.xpt: no such file"),
    ("--resume {tmp}/corrupt.npz", "not a readable xpnet"),
    ("--save {tmp}/no/such/folder/c.xpt", "does not exist"),
    ("--save {tmp}", "--save {tmp}: is a folder"),
    ("--plot {tmp}/run.jpg", "--plot {tmp}/run.jpg: the file name must end in .png"),
    ("--optimizer sgd --lr 1e30", "non-finite loss at epoch 1, step 2"),
])
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning",
                            "ignore:invalid value encountered:RuntimeWarning")
def test_errors_are_one_line_without_traceback(argv, fragment, tmp_path, capsys):
    (tmp_path / "corrupt.npz").write_bytes(b"PK\x03\x04 not really a zip file")
    argv, fragment = argv.format(tmp=tmp_path), fragment.format(tmp=tmp_path)
    assert main(["train", "--model", "mlp", "--epochs", "2", "--no-progress"] + argv.split()) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("\n") == 1 and err.startswith("xpnet train: error: ") and fragment in err
    assert "Traceback" not in err
    if argv.startswith(("--save", "--plot")):  # refused before training, not after it
        assert "epoch" not in captured.out


def test_a_diverging_run_is_one_line_on_stderr_without_numpy_warnings(tmp_path):
    """The NaN guard's message is the whole report: NumPy's overflow/invalid RuntimeWarnings
    (two lines each, with source code) must not come before it."""
    run = subprocess.run(_cli("--model", "mlp", "--epochs", 1, "--optimizer", "sgd",
                              "--lr", "1e30"), env=ENV, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 2
    assert run.stderr.startswith("xpnet train: error: non-finite loss at epoch 1")
    assert run.stderr.count("\n") == 1, run.stderr


def test_unexpected_errors_keep_their_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a bug")
    monkeypatch.setattr(job, "run", broken)
    with pytest.raises(KeyError, match="a bug"):
        main(["train", "--model", "mlp", "--epochs", "1"])


def test_help_documents_every_flag_and_its_examples_parse(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    sub = build_parser()._subparsers._group_actions[0].choices["train"]
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and len(action.help) > 15, action.option_strings
            assert action.option_strings[0] in out
    assert "examples:" in out
    for line in EXAMPLES.splitlines()[1:]:
        words = shlex.split(line, comments=True)
        words = words[words.index("xpnet"):]  # also "mpiexec -n 2 python -m xpnet train ..."
        assert words[:2] == ["xpnet", "train"]
        config_from_args(build_parser().parse_args(words[1:]))  # valid as written


@pytest.mark.parametrize("model, images", [("mlp", False), ("cnn", True)])
def test_data_from_an_npz_file_trains_and_is_evaluated_on_its_test_split(model, images, tmp_path,
                                                                         capsys):
    """A user's own data: 6x6 images of two classes, bright left half vs bright right half."""
    rng = numpy.random.default_rng(0)
    y = rng.integers(0, 2, 240)
    x = rng.normal(0, 0.3, (240, 6, 6)).astype(numpy.float32)
    x[y == 0, :, :3] += 1
    x[y == 1, :, 3:] += 1
    data = tmp_path / "halves.npz"
    numpy.savez(data, x_train=x[:200] if images else x[:200].reshape(200, -1), y_train=y[:200],
                x_test=x[200:] if images else x[200:].reshape(40, -1), y_test=y[200:])
    assert main(["train", "--model", model, "--data", str(data), "--epochs", "3",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"{model} on {data}" in out
    accuracy = float(out.split("test accuracy:")[1].split()[0])
    assert accuracy >= 0.9  # separable by a margin of 3 noise std: near 1.0 after 3 epochs


def test_plot_writes_the_curves_and_gradient_norms_of_the_run(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    from xpnet.train import plot
    seen = {}
    real = plot.plot_training

    def spy(history, path, grad_norms=None):
        seen.update(epochs=len(history.epochs), layers=sorted(grad_norms))
        return real(history, path, grad_norms)
    monkeypatch.setattr(plot, "plot_training", spy)
    path = tmp_path / "run.png"
    assert main(["train", "--model", "mlp", "--epochs", "2", "--no-progress",
                 "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {path}" in capsys.readouterr().out
    # one gradient-norm series per parameter, named as the model names them
    assert seen == {"epochs": 2, "layers": sorted(["0.weight", "0.bias", "3.weight", "3.bias",
                                                   "5.weight", "5.bias"])}


def test_plot_of_a_resumed_run_draws_the_norms_of_the_epochs_it_trained(tmp_path, capsys):
    """--plot with --resume: the history has every epoch, the monitor only the resumed ones."""
    pytest.importorskip("matplotlib")
    ckpt, path = tmp_path / "run.xpt", tmp_path / "run.png"
    base = ["train", "--model", "mlp", "--no-progress", "--save", str(ckpt)]
    assert main(base + ["--epochs", "1"]) == 0
    assert main(base + ["--epochs", "3", "--resume", str(ckpt), "--plot", str(path)]) == 0
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {path}" in capsys.readouterr().out


@pytest.mark.parametrize("finished", [2, 0])
def test_plot_of_a_run_stopped_by_the_nan_guard_shows_the_epochs_before(finished, tmp_path,
                                                                        capsys, monkeypatch):
    """A diverging run still gets its --plot (the curves up to the stop), then the one-line error."""
    pytest.importorskip("matplotlib")
    from xpnet.train import History, NonFiniteError

    def diverging(config, **kwargs):
        assert kwargs["monitor_gradients"]
        error = NonFiniteError("non-finite loss at epoch 3", 3, 30, float("nan"), "0.weight")
        error.history = History([{"epoch": e, "loss": 1.0 / e, "accuracy": 0.5}
                                 for e in range(1, finished + 1)])
        error.grad_norms = {"0.weight": [10.0 ** e for e in range(1, finished + 1)]}
        raise error
    monkeypatch.setattr(job, "run", diverging)
    path = tmp_path / "diverged.png"
    assert main(["train", "--model", "mlp", "--no-progress", "--plot", str(path)]) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "non-finite loss at epoch 3" in err
    if finished:
        assert path.read_bytes()[:4] == b"\x89PNG" and f"the {finished} epochs before" in out
    else:
        assert not path.exists() and "no plot: the run stopped in its first epoch" in out


def test_info_is_a_subcommand(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "numpy" in out and "backends" in out


def _cli(*argv):
    return [sys.executable, "-m", "xpnet", "train", "--no-progress", "--backend", "numpy",
            *map(str, argv)]


ENV = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1"}


def _kill_after(argv, path, epoch, timeout=600):
    """Start ``xpnet train argv --save path`` and SIGKILL it as soon as the checkpoint
    at ``path`` says ``epoch`` or later is done; returns the epoch it had reached."""
    proc = subprocess.Popen(_cli(*argv, "--save", path), env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if path.exists() and xpnet.load(path)["epoch"] >= epoch:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    return xpnet.load(path)["epoch"]


def _assert_same_run(a, b):
    sa, sb = xpnet.load(a), xpnet.load(b)
    assert sa["epoch"] == sb["epoch"]
    for k, v in sa["model"].items():
        assert numpy.array_equal(v.numpy(), sb["model"][k].numpy()), k
    drop = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert drop(sa["history"]) == drop(sb["history"])
    assert sa["rng"] == sb["rng"] and sa["step"] == sb["step"]


@pytest.mark.parametrize("model", ["mlp", pytest.param("cnn", marks=pytest.mark.slow)])
def test_killed_run_resumes_bit_identically(model, tmp_path):
    """A real SIGKILL after epoch >= 2 of 4, then --resume: the same weights and history
    as 4 epochs straight (the mlp has dropout, so the saved RNG state matters; the cnn
    also batch-norm statistics)."""
    killed, straight = tmp_path / "killed.xpt", tmp_path / "straight.xpt"
    # small batches make an epoch long enough (~0.3 s for the mlp) that the poll sees
    # epoch 2 well before the run could finish on its own
    argv = ("--model", model, "--epochs", 4, "--batch-size", 4 if model == "mlp" else 64)
    reached = _kill_after(argv, killed, 2)
    assert 2 <= reached < 4
    resumed = subprocess.run(_cli(*argv, "--resume", killed, "--save", killed), env=ENV,
                             capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming after epoch {reached}" in resumed.stdout
    whole = subprocess.run(_cli(*argv, "--save", straight), env=ENV, capture_output=True,
                           text=True, timeout=900)
    assert whole.returncode == 0, whole.stderr
    _assert_same_run(killed, straight)
    assert resumed.stdout.splitlines()[-1].split("(")[0] == whole.stdout.splitlines()[-1].split("(")[0]
