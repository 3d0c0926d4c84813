"""Fixtures shared by the nn tests."""
import pytest


@pytest.fixture
def torch_one_thread():
    """torch, skipped if missing, on one thread: its thread pool spins on tiny ops on a busy CPU."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)
