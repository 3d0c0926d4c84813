"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (as ``torch.nn.utils``).

Both work on the ``.grad`` of the given parameters, in place of the gradient
*tensor* (each ``p.grad`` keeps its identity; its ``.data`` is replaced by a
new array, never written into: autograd may hand one gradient array to
several leaves, e.g. both operands of an addition, and an in-place multiply
would scale it twice).  Parameters whose ``.grad`` is None are skipped.
"""
from __future__ import annotations

import math

from ..autograd.tensor import Tensor
from ..backend import get_backend


def _grads(parameters, fn: str):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    backends = {g.backend.name for g in grads}
    if len(backends) > 1:
        raise TypeError(f"{fn}: gradients live on several backends {sorted(backends)}; "
                        f"move the module with .to(backend) first")
    return grads


def _number(value, name: str, fn: str) -> float:
    if isinstance(value, str) and value == "inf":
        return math.inf
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{fn}: {name} must be a number; got {value!r}")
    return float(value)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    ``total_norm = || (||g_1||_p, ..., ||g_n||_p) ||_p`` (the p-norm of all
    gradients concatenated; ``p = inf`` gives the largest ``|g|``, ``p = 0``
    the number of nonzero entries), then every
    gradient is multiplied by ``min(1, max_norm / (total_norm + 1e-6))``
    (PyTorch's formula, so a norm just below ``max_norm`` is left alone).

    parameters: a Tensor or an iterable of Tensors.  Returns ``total_norm``
    (before clipping) as a 0-d Tensor on the gradients' backend, in float64
    if any gradient is float64, else in the gradients' dtype.  With
    ``error_if_nonfinite`` a NaN/inf norm raises ``RuntimeError`` before any
    gradient is changed.

    >>> import xpnet
    >>> w = xpnet.tensor([0.0, 0.0], requires_grad=True)
    >>> (w * xpnet.tensor([3.0, 4.0])).sum().backward()       # grad (3, 4), norm 5
    >>> xpnet.nn.utils.clip_grad_norm_([w], max_norm=1.0).item()
    5.0
    >>> w.grad.numpy().round(4)
    array([0.6, 0.8], dtype=float32)

    See also: :func:`clip_grad_value_`.
    """
    max_norm = _number(max_norm, "max_norm", "clip_grad_norm_")
    p = _number(norm_type, "norm_type", "clip_grad_norm_")
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0; got {max_norm}")
    grads = _grads(parameters, "clip_grad_norm_")
    if not grads:
        return _zero_norm()
    be = grads[0].backend
    xp = be.xp
    dtype = max((g.dtype for g in grads), key=lambda d: d.itemsize)
    xdtype = be.xp_dtype(dtype)
    norms = [xp.astype(_vector_norm(xp, g.data, p), xdtype) for g in grads]
    # the p-norm of the per-tensor p-norms is the p-norm of everything concatenated, except
    # for the count p = 0, where the counts add (PyTorch returns the 0-"norm" of the counts)
    total = xp.sum(xp.stack(norms)) if p == 0 else _vector_norm(xp, xp.stack(norms), p)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is non-finite ({float(total)}), so it cannot be clipped; "
                           f"pass error_if_nonfinite=False to scale by it anyway")
    coef = xp.clip(max_norm / (total + 1e-6), None, 1.0)
    for g in grads:
        g.data = g.data * xp.astype(coef, g.data.dtype)
    return Tensor(total, be)


def _vector_norm(xp, a, p: float):
    """The p-norm of all elements of ``a`` as a 0-d array.

    Written with elementwise functions and reductions because the Array API's
    optional ``linalg`` extension is missing from CuPy 14 (no ``vector_norm``).
    """
    if p == math.inf:
        return xp.max(xp.abs(a))
    if p == -math.inf:
        return xp.min(xp.abs(a))
    if p == 0:
        return xp.sum(xp.astype(a != 0, a.dtype))
    if p == 1:
        return xp.sum(xp.abs(a))
    if p == 2:
        return xp.sqrt(xp.sum(a * a))
    return xp.sum(xp.abs(a) ** p) ** (1.0 / p)


def _zero_norm() -> Tensor:
    """The norm of no gradients: 0.0 (float32) on the current backend, as PyTorch."""
    be = get_backend()
    return Tensor(be.xp.asarray(0.0, dtype=be.xp.float32), be)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient element into ``[-clip_value, clip_value]`` (``clip_value >= 0``).

    parameters: a Tensor or an iterable of Tensors; those without ``.grad``
    are skipped.  Returns None.

    >>> import xpnet
    >>> w = xpnet.tensor([0.0, 0.0], requires_grad=True)
    >>> (w * xpnet.tensor([3.0, -0.5])).sum().backward()
    >>> xpnet.nn.utils.clip_grad_value_(w, 1.0)
    >>> w.grad.tolist()
    [1.0, -0.5]

    See also: :func:`clip_grad_norm_`.
    """
    v = _number(clip_value, "clip_value", "clip_grad_value_")
    if not v >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0; got {clip_value}")
    for g in _grads(parameters, "clip_grad_value_"):
        g.data = g.backend.xp.clip(g.data, -v, v)


__all__ = ["clip_grad_norm_", "clip_grad_value_"]
