"""Shared fixtures: one test body runs on every backend.

``backend_name`` is parametrized over all registered backends; one that
cannot run here (``cupy`` without a GPU) is collected and skipped with the
reason, unless ``XPNET_REQUIRE_GPU=1`` is set, which turns that skip into a
failure (for users running the suite on a GPU machine).
"""
import os

import pytest

import xpnet
from xpnet.backend import backend_names, backend_unavailable_reason

ALL_BACKENDS = [n for n in backend_names()]
# the backends on which the generic (Array API) code runs; cudasim is exercised
# through its kernels in tests/cuda, where it is slow enough to need care
GENERIC_BACKENDS = ["numpy", "array_api_strict", "cupy"]


def require_backend(name):
    """Skip (or fail, with XPNET_REQUIRE_GPU=1 for GPU backends) if ``name`` can't run here."""
    reason = backend_unavailable_reason(name)
    if reason is None:
        return
    if name == "cupy" and os.environ.get("XPNET_REQUIRE_GPU") == "1":
        pytest.fail(f"XPNET_REQUIRE_GPU=1 but backend 'cupy' is unavailable: {reason}")
    pytest.skip(f"backend {name!r} unavailable: {reason}")


@pytest.fixture(params=GENERIC_BACKENDS)
def backend_name(request):
    """The name of a backend, made current for the duration of the test."""
    require_backend(request.param)
    with xpnet.use_backend(request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _seed():
    xpnet.manual_seed(0)
    yield
