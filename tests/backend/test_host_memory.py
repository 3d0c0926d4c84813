"""The glibc allocator tuning applied by the NumPy backend, and its opt-out."""
import os
import subprocess
import sys

import pytest

from xpnet.backend import host_memory


def _in_subprocess(env_value):
    code = ("import xpnet; xpnet.get_backend('numpy'); "
            "from xpnet.backend import host_memory; print(host_memory._applied)")
    env = {**os.environ, "XPNET_HOST_MALLOC_TUNING": env_value,
           "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_numpy_backend_applies_tuning_once_and_env_disables_it():
    assert _in_subprocess("1") == "True"
    assert _in_subprocess("0") == "False"


def test_tuning_is_idempotent():
    first = host_memory.tune_host_allocator()
    assert host_memory.tune_host_allocator() is first
