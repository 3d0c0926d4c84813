"""Fixtures shared by the nn tests."""
import numpy
import pytest

import xpnet


@pytest.fixture
def same_draws_on_host_backends():
    """``run(seed, draw)``: ``draw(name)`` on the NumPy and array-api-strict backends, each
    right after ``xpnet.manual_seed(seed)``; asserts the arrays ``draw`` returns (a sequence)
    are bit-identical across the two and returns the NumPy backend's."""
    def run(seed, draw):
        results = []
        for name in ("numpy", "array_api_strict"):
            with xpnet.use_backend(name):
                xpnet.manual_seed(seed)
                results.append(draw(name))
        for a, b in zip(*results):
            numpy.testing.assert_array_equal(a, b)  # bit-identical: drawn on the host
        return results[0]
    return run


@pytest.fixture
def torch_one_thread():
    """torch, skipped if missing, on one thread: its thread pool spins on tiny ops on a busy CPU."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)
