"""The graph: how an op records its backward, and the reverse-mode engine.

Every differentiable op follows one pattern (micrograd / Chainer style), with
forward and backward side by side::

    def exp(x):
        x, = as_tensors(x)                  # resolve the backend once
        y = x.backend.xp.exp(x.data)        # forward, on raw arrays
        def backward(g):                    # g = dL/dy, an array like y
            return (g * y,)                 # dL/dx, one entry per input
        return record(y, (x,), backward)

``backward`` returns one array (or ``None`` for "no gradient") per input
tensor.  The engine sums the contributions of every path through the graph
(topological order, each node visited once), casts each gradient to its
input's dtype, and accumulates into ``.grad`` of the leaves, as PyTorch does;
unless ``retain_graph=True`` it frees the graph as it goes (each node drops its
closure once it has run), and a second pass through a freed node raises.
A backward closure may :func:`queue_callback` work that needs the finished
gradients of every leaf (data-parallel training averages them across
processes this way, as PyTorch's ``queue_callback`` serves its DDP).
"""
from __future__ import annotations

from typing import Callable, Sequence, Tuple

import numpy

from .grad_mode import is_grad_enabled


def as_tensors(*values, names=None):
    """Wrap ``values`` as Tensors on one backend; raise ``TypeError`` on a mixture.

    ``names`` (one per value, e.g. ``("input", "weight")``) lets the error
    name the arguments that mix backends.

    Tensors keep their backend; Python scalars stay Python scalars (weakly
    typed, as in NumPy 2 and the Array API), and so do NumPy scalars, as in
    PyTorch (``x_float32 / numpy.sqrt(n)`` stays float32); arrays of the
    backend and host data become constant tensors on the backend of the
    tensor arguments.
    """
    from .tensor import Tensor

    values = tuple(v.item() if isinstance(v, numpy.generic) and v.dtype.kind in "biuf" else v
                   for v in values)

    backend = first = None
    for i, v in enumerate(values):
        if isinstance(v, Tensor):
            if backend is None:
                backend, first = v.backend, i
            elif v.backend is not backend:
                which = "" if names is None else f" ({names[first]} and {names[i]})"
                raise TypeError(
                    f"an operation mixes tensors of backend {backend.name!r} and "
                    f"{v.backend.name!r}{which}; move one with .to({backend.name!r}) or "
                    f".to({v.backend.name!r})")
    if backend is None:
        from ..backend import get_backend
        backend = get_backend()
    out = []
    for v in values:
        if isinstance(v, Tensor) or isinstance(v, (bool, int, float)) or v is None:
            out.append(v)
        else:
            out.append(Tensor(backend.asarray(v) if not backend.is_array(v) else v, backend))
    return out


def tensor_of(a, b):
    """The operand of a binary op whose backend it runs on: ``a`` if a Tensor, else ``b``."""
    return a if hasattr(a, "backend") else b


def raw(v):
    """The array behind an operand from :func:`as_tensors`: a Tensor's data, a scalar as it is."""
    return v.data if hasattr(v, "backend") else v


def shape_of(v) -> tuple:
    """An operand's shape for broadcasting: a Tensor's shape, ``()`` for a Python scalar."""
    return tuple(v.shape) if hasattr(v, "shape") else ()


def record(data, inputs: Sequence, backward: Callable):
    """Wrap the forward result ``data`` as a Tensor and, if needed, remember how to differentiate it.

    ``inputs`` are the op's arguments (Tensors, or scalars that get no
    gradient); ``backward(g)`` returns one gradient array (or None) per input.
    The result lives on the backend of the first Tensor among ``inputs``.
    """
    from .tensor import Tensor

    parents = tuple(t for t in inputs if isinstance(t, Tensor))
    out = Tensor(data, parents[0].backend)
    if is_grad_enabled() and any(p.requires_grad for p in parents):
        out.requires_grad = True
        positions = tuple(i for i, t in enumerate(inputs) if isinstance(t, Tensor))
        if len(positions) == len(inputs):
            out._backward = backward
        else:  # drop the gradients of scalar inputs
            def backward_tensors_only(g, _full=backward):
                grads = _full(g)
                return tuple(grads[i] for i in positions)
            out._backward = backward_tensors_only
        out._parents = parents
    return out


def unbroadcast(xp, g, shape: Tuple[int, ...]):
    """Sum ``g`` over the axes broadcasting added or stretched, so it has ``shape``."""
    if tuple(g.shape) == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = xp.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return g


SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward(). Specify retain_graph=True if you need to backward through "
    "the graph a second time.")


def released_backward(g):
    """Stands in for the ``_backward`` of a node whose graph a backward pass has freed.

    The node stays a non-leaf (``is_leaf`` is False), but it no longer holds
    its closure (and the arrays the closure saved) nor its parents.
    """
    raise RuntimeError(SECOND_BACKWARD)


def _topological_order(root) -> list:
    """The nodes that ``root`` was computed from (and ``root``), each after its parents.

    Raises the PyTorch ``RuntimeError`` before any gradient is computed if a
    node's graph was freed by an earlier ``backward()``.
    """
    order, seen, stack = [], set(), [(root, False)]
    while stack:  # iterative DFS: deep graphs must not hit the recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        if node._backward is released_backward:
            raise RuntimeError(SECOND_BACKWARD)
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node._parents if p.requires_grad and id(p) not in seen)
    return order


# one list of queued callbacks per backward pass in progress (a callback may start another pass)
_pending_callbacks: list = []


def queue_callback(callback: Callable[[], None]) -> None:
    """Run ``callback()`` once the backward pass in progress has finished.

    Call it from inside a backward closure; the callback runs after every
    leaf's ``.grad`` holds its final value for this pass, in the order the
    callbacks were queued.  A callback queued twice in one pass (``==``, e.g.
    the same bound method) runs once.  If the pass raises, its callbacks are
    dropped.

    >>> import xpnet
    >>> from xpnet.autograd.function import queue_callback, record
    >>> w = xpnet.tensor([1.0, 2.0], requires_grad=True)
    >>> seen = []
    >>> def backward(g):
    ...     queue_callback(lambda: seen.append(w.grad.numpy().tolist()))
    ...     return (g,)
    >>> record(w.data * 1, (w,), backward).sum().backward()
    >>> seen
    [[1.0, 1.0]]
    """
    if not _pending_callbacks:
        raise RuntimeError("queue_callback(callback) can only be called during a backward pass "
                           "(from a backward closure); no backward pass is running")
    if not callable(callback):
        raise TypeError(f"queue_callback(callback) needs a callable; got {callback!r}")
    queue = _pending_callbacks[-1]
    if callback not in queue:
        queue.append(callback)


def run_backward(root, grad, retain_graph: bool = False) -> None:
    """Propagate ``grad`` (an array like ``root.data``) from ``root`` to every leaf.

    Unless ``retain_graph``, each node drops its closure and its parents as
    soon as it has passed its gradient on (as PyTorch frees saved tensors), so
    intermediate arrays are released during the sweep rather than kept until
    the graph's last Python reference goes; a later backward through one of
    these nodes raises ``RuntimeError``.  Callbacks queued during the sweep
    (:func:`queue_callback`) run once it has finished.
    """
    order = _topological_order(root)
    _pending_callbacks.append([])
    try:
        _sweep(order, root, grad, retain_graph)
    finally:
        callbacks = _pending_callbacks.pop()
    for callback in callbacks:
        callback()


def _sweep(order: list, root, grad, retain_graph: bool) -> None:
    """The reverse sweep of :func:`run_backward` over ``order`` (parents first)."""
    grads = {id(root): grad}
    while order:  # children before parents; popping drops the sweep's own references
        node = order.pop()
        g = grads.pop(id(node), None)
        if node._backward is None:
            if g is not None:
                node._accumulate_grad(g)
            continue
        backward, parents = node._backward, node._parents
        if not retain_graph:
            node._backward, node._parents = released_backward, ()
        if g is None:
            continue
        for parent, pg in zip(parents, backward(g)):
            if pg is None or not parent.requires_grad:
                continue
            xp = parent.backend.xp
            if pg.dtype != parent.data.dtype:
                pg = xp.astype(pg, parent.data.dtype)
            if tuple(pg.shape) != tuple(parent.shape):  # e.g. a scalar-shaped gradient
                pg = xp.broadcast_to(pg, parent.shape)
            key = id(parent)
            grads[key] = pg if key not in grads else grads[key] + pg
