"""Every distributed test starts and ends outside any process group."""
import pytest

from xpnet import distributed as dist


@pytest.fixture(autouse=True)
def _fresh_process_group():
    dist.shutdown()
    yield
    dist.shutdown()
