"""queue_callback: work that runs once a backward pass has finished."""
import numpy
import pytest

import xpnet
from xpnet.autograd.function import queue_callback, record


def identity_that_queues(x, *callbacks):
    """``x`` through a node whose backward queues ``callbacks``."""
    def backward(g):
        for cb in callbacks:
            queue_callback(cb)
        return (g,)
    return record(x.data, (x,), backward)


def test_callbacks_run_after_every_leaf_has_its_final_grad(backend_name):
    w = xpnet.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    # w reaches the loss on two paths; the marked one is swept first
    loss = identity_that_queues(w * 3, lambda: seen.append(w.grad.numpy().copy())).sum() + (w * w).sum()
    loss.backward()
    assert len(seen) == 1
    numpy.testing.assert_array_equal(seen[0], [3 + 2 * 1.0, 3 + 2 * 2.0])


def test_callbacks_run_in_queue_order_and_a_repeated_one_runs_once():
    order = []

    class Recorder:
        def first(self):
            order.append("first")

        def second(self):
            order.append("second")

    r = Recorder()
    x = xpnet.tensor([1.0], requires_grad=True)
    a = identity_that_queues(x, r.first, r.second)
    b = identity_that_queues(x, r.first)  # the same bound method again
    (a + b).sum().backward()
    assert order == ["first", "second"]
    (identity_that_queues(x, r.second)).sum().backward()  # a new pass queues anew
    assert order == ["first", "second", "second"]


def test_a_failed_pass_drops_its_callbacks_and_the_next_pass_is_clean():
    ran = []
    x = xpnet.tensor([1.0], requires_grad=True)

    def failing_backward(g):
        raise ArithmeticError("boom")
    failing = record(x.data * 1, (x,), failing_backward)
    with pytest.raises(ArithmeticError):  # queued first (the sweep goes root first), then fails
        identity_that_queues(failing, lambda: ran.append(1)).sum().backward()
    assert ran == []
    with pytest.raises(RuntimeError, match="no backward pass is running"):
        queue_callback(lambda: None)


def test_a_callback_may_run_its_own_backward_pass():
    x = xpnet.tensor([2.0], requires_grad=True)
    inner = []

    def start_inner_pass():
        identity_that_queues(x * 1, lambda: inner.append(x.grad.numpy().copy())).sum().backward()
    identity_that_queues(x, start_inner_pass).sum().backward()
    numpy.testing.assert_array_equal(inner, [[2.0]])  # 1 from the outer pass + 1 from the inner


def test_outside_a_backward_pass_or_not_callable_is_an_error():
    with pytest.raises(RuntimeError, match=r"queue_callback\(callback\) can only be called during a backward pass"):
        queue_callback(print)
    x = xpnet.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="needs a callable; got 3"):
        identity_that_queues(x, 3).sum().backward()
