"""The bad-input suite: torch on one thread; the number of examples tried, printed at the end."""
import pytest

from reliability_oracle import EXAMPLES_TRIED, OUTCOMES, torch


@pytest.fixture(autouse=True, scope="session")
def _torch_one_thread():
    """torch's thread pool spins on these tiny ops on a busy CPU: one thread."""
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def pytest_collection_modifyitems(items):
    """The cases feed NaN/inf and zero-size inputs on purpose: NumPy's and torch's warnings
    about them (invalid value, overflow, zero-element init) are expected, not findings."""
    quiet = [pytest.mark.filterwarnings("ignore::RuntimeWarning"),
             pytest.mark.filterwarnings("ignore:.*zero-element.*:UserWarning"),
             pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")]
    for item in items:
        if "reliability" in item.nodeid.split("/"):
            for mark in quiet:
                item.add_marker(mark)


def pytest_terminal_summary(terminalreporter):
    """One line: how many generated cases the reliability properties tried, and over how many."""
    if EXAMPLES_TRIED:
        total = sum(EXAMPLES_TRIED.values())
        terminalreporter.write_line(
            f"reliability: {total} generated cases tried by {len(EXAMPLES_TRIED)} properties ("
            + ", ".join(f"{n} {k}" for k, n in sorted(OUTCOMES.items())) + ")")
