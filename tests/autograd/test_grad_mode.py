"""no_grad / enable_grad: as context managers and decorators, nested, recursive, per thread."""
import threading

import numpy
import pytest

import xpnet


def _leaf():
    return xpnet.tensor(numpy.array([1.0, 2.0]), requires_grad=True)


def test_no_grad_context_records_nothing(backend_name):
    w = _leaf()
    with xpnet.no_grad():
        assert not xpnet.is_grad_enabled()
        y = (w * 2.0).sum()
    assert xpnet.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y._parents == ()
    with pytest.raises(RuntimeError):
        y.backward()


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with xpnet.no_grad():
            raise KeyError("boom")
    assert xpnet.is_grad_enabled()


def test_no_grad_decorator_keeps_metadata_and_restores():
    @xpnet.no_grad()
    def f(t):
        """doc"""
        assert not xpnet.is_grad_enabled()
        return t * 2.0

    assert f.__name__ == "f" and f.__doc__ == "doc"
    assert not f(_leaf()).requires_grad
    assert xpnet.is_grad_enabled()


def test_bare_no_grad_decorator():
    @xpnet.no_grad
    def f(t):
        return t * 2.0

    assert not f(_leaf()).requires_grad and f.__name__ == "f"
    assert xpnet.is_grad_enabled()
    with pytest.raises(TypeError, match="no_grad"):
        xpnet.no_grad(3)


def test_no_grad_decorator_is_reentrant():
    # one decorator instance, entered recursively: grad must be on again afterwards
    @xpnet.no_grad()
    def countdown(n):
        return 0 if n == 0 else countdown(n - 1)

    countdown(3)
    assert xpnet.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    w = _leaf()
    with xpnet.no_grad():
        with xpnet.enable_grad():
            y = (w * w).sum()
        assert not xpnet.is_grad_enabled()
    y.backward()
    numpy.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])


def test_grad_mode_is_per_thread():
    seen = []
    with xpnet.no_grad():
        t = threading.Thread(target=lambda: seen.append(xpnet.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]
