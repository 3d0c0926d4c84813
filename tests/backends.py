"""Which backends can run here, for tests: skip with the reason, or fail under XPNET_REQUIRE_GPU=1."""
import os

import pytest

from xpnet.backend import backend_unavailable_reason

GPU_BACKENDS = ("cupy",)


def require_backend(name):
    """Skip the calling test (or, called at import, test module) if backend ``name`` can't
    run here.

    With ``XPNET_REQUIRE_GPU=1`` (for users on a GPU machine) a GPU backend
    that can't run is a failure instead of a skip.
    """
    reason = backend_unavailable_reason(name)
    if reason is None:
        return
    if name in GPU_BACKENDS and os.environ.get("XPNET_REQUIRE_GPU") == "1":
        pytest.fail(f"XPNET_REQUIRE_GPU=1 but backend {name!r} is unavailable: {reason}")
    pytest.skip(f"backend {name!r} unavailable: {reason}", allow_module_level=True)
