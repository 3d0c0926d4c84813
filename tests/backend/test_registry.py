"""The backend registry: names, get/set/use_backend, XPNET_BACKEND, and what importing touches."""
import os
import subprocess
import sys

import numpy
import pytest

import xpnet
from xpnet.backend import (available_backends, backend_names, backend_unavailable_reason,
                           get_backend, set_backend, use_backend)

NAMES = ("numpy", "cupy", "cudasim", "array_api_strict")


def _run(code, **env):
    """Run ``code`` in a fresh interpreter (import-time behaviour); returns the completed process."""
    full_env = {k: v for k, v in os.environ.items() if k != "XPNET_BACKEND"}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, cwd=os.path.dirname(os.path.dirname(xpnet.__file__)),
                          timeout=120)


@pytest.fixture
def restore_backend():
    previous = get_backend()
    yield
    set_backend(previous.name)


def test_registered_names():
    assert set(backend_names()) == set(NAMES)
    assert {"numpy", "array_api_strict"} <= set(available_backends())


def test_get_backend_name_and_namespace():
    import array_api_strict
    assert get_backend("numpy").name == "numpy" and get_backend("numpy").xp is numpy
    assert get_backend("array_api_strict").xp is array_api_strict
    assert get_backend("numpy") is get_backend("numpy")  # one instance per name


def test_set_backend_makes_new_tensors_live_there(restore_backend):
    assert set_backend("array_api_strict").name == "array_api_strict"
    assert get_backend().name == "array_api_strict"
    assert xpnet.tensor([1.0]).backend.name == "array_api_strict"
    assert xpnet.zeros(2).backend.name == "array_api_strict"


def test_use_backend_restores_on_exit_and_on_error():
    before = get_backend()
    with use_backend("array_api_strict") as be:
        assert be is get_backend() and be.name == "array_api_strict"
        with use_backend("numpy"):
            assert get_backend().name == "numpy"
        assert get_backend().name == "array_api_strict"
    assert get_backend() is before
    with pytest.raises(ZeroDivisionError):
        with use_backend("array_api_strict"):
            1 / 0
    assert get_backend() is before


def test_unknown_name_lists_the_valid_ones():
    for call in (lambda: get_backend("tensorflow"), lambda: set_backend("tensorflow"),
                 lambda: use_backend("tensorflow").__enter__()):
        with pytest.raises(ValueError, match="tensorflow") as info:
            call()
        assert all(repr(n) in str(info.value) for n in NAMES)


def test_asking_for_cupy_without_a_gpu_says_what_is_missing():
    reason = backend_unavailable_reason("cupy")
    if reason is None:
        pytest.skip("a CUDA device is available here")
    if "No module named 'xpnet.backend.cuda" in reason:
        pytest.skip("the cupy backend module is not written yet")
    with pytest.raises(RuntimeError, match="cupy") as info:
        get_backend("cupy")
    message = str(info.value)
    try:
        import cupy  # noqa: F401
        assert "CUDA" in message and "device" in message, message  # CuPy present, no GPU
    except ImportError:
        assert "CuPy" in message or "cupy" in message.lower(), message
    assert get_backend().name in available_backends()  # the failed request changed nothing


def test_xpnet_backend_environment_variable():
    code = "import xpnet; print(xpnet.get_backend().name); print(xpnet.tensor([1.0]).backend.name)"
    out = _run(code, XPNET_BACKEND="array_api_strict")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["array_api_strict", "array_api_strict"]
    assert _run(code).stdout.split() == ["numpy", "numpy"]  # the default
    bad = _run(code, XPNET_BACKEND="nonsense")
    assert bad.returncode != 0 and "ValueError" in bad.stderr and "'numpy'" in bad.stderr


def test_importing_xpnet_does_not_import_cupy():
    code = ("import sys, xpnet, xpnet.nn, xpnet.optim\n"
            "xpnet.tensor([1.0]) * 2.0\n"
            "print(sorted(m for m in sys.modules if m == 'cupy' or m.startswith('cupy.')))")
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_without_cupy_installed_the_error_says_to_install_it():
    code = ("import sys; sys.modules['cupy'] = None  # as if CuPy were not installed\n"
            "import xpnet\n"
            "try:\n    xpnet.get_backend('cupy')\n"
            "except RuntimeError as e:\n    print(e)\n")
    out = _run(code)
    assert out.returncode == 0, out.stderr
    if "No module named 'xpnet.backend.cuda" in out.stdout:
        pytest.skip("the cupy backend module is not written yet")
    assert "CuPy is not installed" in out.stdout and "pip install" in out.stdout, out.stdout
