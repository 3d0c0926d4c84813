"""Metrics of a batch, computed on the backend.

A metric in :data:`METRICS` maps ``(output, target)`` to a 0-d float64
array *on the backend* (the batch mean), so the training loop can add it to
a running sum without waiting for the device; :func:`accuracy` is the same
value as a Python float, for interactive use.
"""
from __future__ import annotations


def correct_fraction(output, target):
    """The fraction of rows whose largest score is at the target class, as a 0-d
    float64 array on ``output``'s backend (no host transfer).

    output: (N, C) scores (logits or probabilities); target: (N,) class
    indices.  An empty batch gives 0.
    """
    if output.ndim != 2 or target.ndim != 1 or output.shape[0] != target.shape[0]:
        raise ValueError(f"accuracy needs output (N, C) and target (N,); got output "
                         f"{output.shape} and target {target.shape}")
    xp = output.backend.xp
    hits = xp.argmax(output.data, axis=1) == xp.astype(target.data, xp.int64)
    if output.shape[0] == 0:
        return xp.asarray(0.0, dtype=xp.float64)
    return xp.mean(xp.astype(hits, xp.float64))


def accuracy(output, target) -> float:
    """Fraction of rows whose largest score is at the target class, a float in [0, 1].

    output: (N, C) scores (logits or probabilities); target: (N,) class
    indices.

    >>> import xpnet
    >>> accuracy(xpnet.tensor([[0.1, 0.9], [0.8, 0.2]]), xpnet.tensor([1, 1]))
    0.5
    """
    return float(output.backend.to_numpy(correct_fraction(output, target)))


#: name -> metric on the backend (a 0-d float64 array: the batch mean)
METRICS = {"accuracy": correct_fraction}
