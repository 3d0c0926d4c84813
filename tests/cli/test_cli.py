"""The xpnet command: entry points, bench; errors as messages, not tracebacks (train: test_train.py)."""
import os
import subprocess
import sys

import pytest

from xpnet.cli import main


def test_cupy_without_device_is_a_clear_error(capsys):
    from xpnet.backend import backend_unavailable_reason
    if backend_unavailable_reason("cupy") is None:
        pytest.skip("a CUDA device is present")
    assert main(["train", "--backend", "cupy", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "cupy" in err and "not available" in err


def test_python_dash_m_entry_point():
    out = subprocess.run([sys.executable, "-m", "xpnet", "--help"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.returncode == 0 and "train" in out.stdout and "bench" in out.stdout


def test_bench_runs_one_case_with_and_without_torch(capsys):
    assert main(["bench", "--filter", "batch_norm fwd 64x64", "--repeat", "1", "--warmup", "0",
                 "--no-torch"]) == 0
    out = capsys.readouterr().out
    assert "batch_norm fwd 64x64x14x14" in out and "GB/s" in out


@pytest.mark.parametrize("command", [[], ["train"], ["bench"], ["selftest"], ["info"]])
def test_help_has_a_plain_description_and_examples_that_parse(command, capsys):
    """``--help`` of the command and of each subcommand: a description without reST markup,
    a help text for every option, and an ``examples:`` section whose commands parse."""
    import shlex
    from xpnet.cli import SUBCOMMANDS, build_parser
    assert set(SUBCOMMANDS) == {"train", "bench", "selftest", "info"}
    with pytest.raises(SystemExit) as e:
        main(command + ["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert "xpnet" in description.lower() and "``" not in description and ":mod:" not in description
    examples = out.split("examples:\n")[1].strip().splitlines()
    assert examples
    for line in examples:
        words = shlex.split(line, comments=True)
        words = words[words.index("xpnet") + 1:]
        if words[-1:] == ["--help"]:
            continue
        build_parser().parse_args(words)  # SystemExit (exit code 2) if an example is wrong
