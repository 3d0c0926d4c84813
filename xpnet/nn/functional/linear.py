"""``linear(input, weight, bias)``: the affine map of a dense layer, one op with its own backward.

``y = x @ W^T + b`` with ``x: (*, in_features)``, ``W: (out_features,
in_features)``, ``b: (out_features,)`` or None; ``y: (*, out_features)``.

Backward, with the leading axes of ``x`` and ``g = dL/dy`` flattened into
``M`` rows (``X: (M, in)``, ``G: (M, out)``):
``dL/dx = G @ W``, ``dL/dW = G^T @ X`` (one GEMM whatever the batch shape),
``dL/db = sum over rows of G``.
"""
from __future__ import annotations

from ...autograd.function import as_tensors, record


def linear(input, weight, bias=None):
    """Affine map ``y = x W^T + b`` (as ``torch.nn.functional.linear``).

    input: (*, in_features); weight: (out_features, in_features);
    bias: (out_features,) or None.  Returns (*, out_features).
    Raises ``ValueError`` on mismatched shapes and ``TypeError`` on mixed
    dtypes before computing anything.

    >>> import xpnet
    >>> from xpnet.nn.functional import linear
    >>> x = xpnet.tensor([[1.0, 2.0]])
    >>> w = xpnet.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
    >>> linear(x, w, xpnet.tensor([0.0, 0.5, 1.0])).numpy()
    array([[ 1. ,  3.5, -1. ]], dtype=float32)

    See also: :class:`xpnet.nn.Linear`, :func:`xpnet.matmul`.
    """
    x, w, b = as_tensors(input, weight, bias, names=("input", "weight", "bias"))
    _check(x, w, b)
    xp = x.backend.xp
    xd, wd = x.data, w.data
    y = xp.matmul(xd, wd.mT)
    if b is not None:
        y = y + b.data
    lead = tuple(x.shape[:-1])
    in_f, out_f = w.shape[1], w.shape[0]

    def backward(g):
        g2 = xp.reshape(g, (-1, out_f))
        gx = xp.reshape(xp.matmul(g2, wd), lead + (in_f,))
        gw = xp.matmul(g2.mT, xp.reshape(xd, (-1, in_f)))
        gb = xp.sum(g2, axis=0) if b is not None else None
        return gx, gw, gb
    if b is None:
        return record(y, (x, w), lambda g: backward(g)[:2])
    return record(y, (x, w, b), backward)


def _check(x, w, b) -> None:
    if not hasattr(x, "backend") or not hasattr(w, "backend"):
        raise TypeError("linear(input, weight) needs tensors (or arrays), not Python scalars")
    if w.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features); "
                         f"got shape {w.shape}")
    if x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not match weight of shape "
                         f"{w.shape}; expected input (*, {w.shape[1]})")
    if b is not None and (not hasattr(b, "backend") or b.shape != (w.shape[0],)):
        raise ValueError(f"linear: bias must have shape ({w.shape[0]},); "
                         f"got {getattr(b, 'shape', b)!r}")
    dtypes = {t.dtype for t in (x, w, b) if t is not None}
    if len(dtypes) > 1 or next(iter(dtypes)).kind != "f":
        raise TypeError(f"linear: input, weight and bias must share one floating dtype; got "
                        f"input {x.dtype}, weight {w.dtype}"
                        + (f", bias {b.dtype}" if b is not None else "")
                        + " (cast with .to(dtype) or Module.to(dtype))")


__all__ = ["linear"]
