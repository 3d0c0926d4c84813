"""A non-editable ``pip install .`` ships what the package needs: kernels, the digits data.

Checked in a subprocess started outside the checkout (so neither the source
tree nor its build metadata shadow the installed package); skips when xpnet is
not installed or installed editable.  CI installs it non-editable.
"""
import json
import os
import subprocess
import sys

import pytest

PROBE = r"""
import importlib.metadata, json
try:
    dist = importlib.metadata.distribution("xpnet")
except importlib.metadata.PackageNotFoundError:
    print(json.dumps({"installed": False})); raise SystemExit
direct = json.loads(dist.read_text("direct_url.json") or "{}")
import xpnet
from xpnet.backend.cuda.sources import kernel_dir
from xpnet.data import load_digits
print(json.dumps({"installed": True,
                  "editable": bool(direct.get("dir_info", {}).get("editable")),
                  "files": [str(f) for f in dist.files or ()],
                  "module": xpnet.__file__, "kernels": str(kernel_dir()),
                  "digits": load_digits()[0].shape[0]}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path_factory.mktemp("elsewhere"),
                         env=env, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.fail(f"importing the installed xpnet failed:\n{out.stderr}")
    info = json.loads(out.stdout)
    if not info["installed"]:
        pytest.skip("xpnet is not installed (running from a bare checkout)")
    if info["editable"]:
        pytest.skip("xpnet is installed editable; this checks a regular install")
    return info


def test_installed_package_contains_kernels_and_data(installed):
    for needed in ("xpnet/kernels/conv2d.cu", "xpnet/kernels/batchnorm.cu",
                   "xpnet/kernels/cudasim.h", "xpnet/data/digits.csv.gz",
                   "xpnet/data/digits.LICENSE.txt", "xpnet/cli/__init__.py"):
        assert needed in installed["files"], f"{needed} missing from the installed package"


def test_installed_package_finds_its_kernels_and_data(installed):
    assert "site-packages" in installed["module"]
    assert "site-packages" in installed["kernels"]
    assert installed["digits"] == 1797


def test_every_source_module_is_installed(installed):
    # a new subpackage missing from pyproject's package list would be left out of the wheel
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[1]
    source = {str(p.relative_to(root)) for p in (root / "xpnet").rglob("*.py")}
    missing = sorted(source - set(installed["files"]))
    assert not missing, f"not in the installed package: {missing}"
