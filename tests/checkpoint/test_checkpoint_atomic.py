"""Saving is atomic: a failed or killed save leaves the previous checkpoint whole and loadable."""
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy
import pytest

import xpnet
from xpnet import _checkpoint_file as container

ROOT = pathlib.Path(xpnet.__file__).resolve().parent.parent
N = 2**19  # float64 values: a 4 MiB checkpoint, so a kill often lands mid-write

# saves {"i": i, "w": [i, i, ...]} to argv[1] over and over, i = 0, 1, 2, ...
WRITER = f"""
import sys, numpy, xpnet
start = int(sys.argv[2])
for i in range(start, start + 10**6):
    xpnet.save({{"i": i, "w": numpy.full({N}, float(i))}}, sys.argv[1])
"""


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt"
    xpnet.save({"w": xpnet.tensor([1.0, 2.0])}, path)
    before = path.read_bytes()

    def broken_write(f, header, arrays):
        f.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(container, "write", broken_write)
    with pytest.raises(OSError, match="disk full"):
        xpnet.save({"w": xpnet.tensor([3.0])}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt"]  # the temporary file is removed


def _check_whole(path, at_least):
    """The checkpoint at ``path`` is one complete version; returns its number."""
    ckpt = xpnet.load(path)
    assert ckpt["i"] >= at_least
    numpy.testing.assert_array_equal(ckpt["w"], numpy.full(N, float(ckpt["i"])))
    return ckpt["i"]


def test_killing_the_writer_at_random_moments_never_breaks_the_checkpoint(tmp_path):
    path = tmp_path / "ckpt"
    rng = numpy.random.default_rng(5)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    version, stale = 0, 0
    for _ in range(4):
        before = _mtime(path)
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(version + 1)],
                                  cwd=tmp_path, env=env)
        try:
            deadline = time.monotonic() + 60
            while _mtime(path) == before:  # until this writer has completed one save
                assert time.monotonic() < deadline and writer.poll() is None, "writer never saved"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.05, 0.6))
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
        version = _check_whole(path, version)
        leftovers = [p.name for p in tmp_path.iterdir() if p.name != "ckpt"]
        assert all(n.startswith(".xpnet-save-") and n.endswith(".tmp") for n in leftovers)
        stale = len(leftovers)
    # stale temporary files are never read and do not stop the next save
    xpnet.save({"i": version + 1, "w": numpy.full(N, float(version + 1))}, path)
    assert _check_whole(path, version + 1) == version + 1
    assert len([p for p in tmp_path.iterdir() if p.name != "ckpt"]) == stale


def _mtime(path):
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def test_saved_file_gets_the_permissions_a_plain_open_would_give(tmp_path):
    """The checkpoint gets the mode a plain open() would give (mkstemp's 0600 would be too private)."""
    import stat
    old = os.umask(0o027)
    try:
        path = tmp_path / "perm.xpt"
        xpnet.save({"a": 1}, path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    finally:
        os.umask(old)
