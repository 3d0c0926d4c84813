"""Finite-difference gradient checking (as ``torch.autograd.gradcheck``)."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy

from .tensor import Tensor


def numerical_grad(fn: Callable, inputs: Sequence[Tensor], eps: float = 1e-6):
    """Central differences ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` of ``sum(fn(*inputs) * v)``.

    Returns one host NumPy array per input that requires grad (None for the
    others).  Inputs should be float64 so that ``eps`` is meaningful.
    """
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    rng = numpy.random.default_rng(0)
    # a random projection turns a vector output into one scalar
    weights = [rng.standard_normal(o.shape) for o in outs]

    def scalar():
        res = fn(*inputs)
        res = res if isinstance(res, (tuple, list)) else (res,)
        return sum(float((r.numpy().astype(numpy.float64) * w).sum()) for r, w in zip(res, weights))

    grads = []
    for t in inputs:
        if not (isinstance(t, Tensor) and t.requires_grad):
            grads.append(None)
            continue
        base = t.numpy()
        g = numpy.zeros(base.shape, dtype=numpy.float64)
        flat = g.reshape(-1)
        for i in range(base.size):
            for sign in (1, -1):
                bumped = base.copy().reshape(-1)
                bumped[i] += sign * eps
                t.data = t.backend.asarray(bumped.reshape(base.shape))
                flat[i] += sign * scalar() / (2 * eps)
        t.data = t.backend.asarray(base)
        grads.append(g)
    return grads, weights


def gradcheck(fn: Callable, inputs: Sequence[Tensor], eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, raise_exception: bool = True) -> bool:
    """Check ``fn``'s backward against central differences.

    ``fn`` maps the ``inputs`` (Tensors; those with ``requires_grad`` are
    checked) to a Tensor or a tuple of Tensors.  Returns True if every
    analytical gradient of ``sum(out * v)`` (v random, fixed) is within
    ``atol + rtol * |numerical|`` of the numerical one; otherwise raises
    ``AssertionError`` (or returns False with ``raise_exception=False``).
    Use float64 inputs: in float32 the differences are dominated by rounding.

    >>> import xpnet
    >>> x = xpnet.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    >>> xpnet.gradcheck(lambda t: (t * t).tanh(), [x])
    True
    """
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != numpy.float64:
            raise TypeError(f"gradcheck needs float64 inputs; got an input of dtype {t.dtype}")
    numeric, weights = numerical_grad(fn, inputs, eps)
    for t in inputs:
        if isinstance(t, Tensor):
            t.grad = None
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    total = None
    for o, w in zip(outs, weights):
        term = (o * Tensor(o.backend.asarray(w), o.backend)).sum()
        total = term if total is None else total + term
    total.backward()
    for i, (t, num) in enumerate(zip(inputs, numeric)):
        if num is None:
            continue
        ana = t.grad.numpy() if t.grad is not None else numpy.zeros_like(num)
        if not numpy.allclose(ana, num, atol=atol, rtol=rtol):
            if not raise_exception:
                return False
            worst = numpy.abs(ana - num).max()
            raise AssertionError(f"gradcheck: input {i} (shape {t.shape}): analytical and "
                                 f"numerical gradients differ by up to {worst:.3g}\n"
                                 f"analytical:\n{ana}\nnumerical:\n{num}")
    return True
