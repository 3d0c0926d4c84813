"""Shared fixtures: one test body runs on every backend.

``backend_name`` is parametrized over all registered backends; one that
cannot run here (``cupy`` without a GPU) is collected and skipped with the
reason, unless ``XPNET_REQUIRE_GPU=1`` is set, which turns that skip into a
failure (for users running the suite on a GPU machine).
"""
import pytest

import xpnet
from backends import require_backend

# the backends on which the generic (Array API) code runs; cudasim is exercised
# through its kernels in tests/cuda, where it is slow enough to need care
GENERIC_BACKENDS = ["numpy", "array_api_strict", "cupy"]


@pytest.fixture(params=GENERIC_BACKENDS)
def backend_name(request):
    """The name of a backend, made current for the duration of the test."""
    require_backend(request.param)
    with xpnet.use_backend(request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _seed_and_grad_mode():
    """Every test starts seeded and with gradients on, and must leave them on."""
    xpnet.manual_seed(0)
    assert xpnet.is_grad_enabled()
    yield
    assert xpnet.is_grad_enabled(), "the test left gradient recording switched off"
