"""Metrics computed on the backend, returned as Python floats."""
from __future__ import annotations


def accuracy(output, target) -> float:
    """Fraction of rows whose largest score is at the target class.

    output: (N, C) scores (logits or probabilities); target: (N,) class
    indices.  Returns a float in [0, 1].
    """
    if output.ndim != 2 or target.ndim != 1 or output.shape[0] != target.shape[0]:
        raise ValueError(f"accuracy needs output (N, C) and target (N,); got output "
                         f"{output.shape} and target {target.shape}")
    xp = output.backend.xp
    hits = xp.argmax(output.data, axis=1) == xp.astype(target.data, xp.int64)
    return float(xp.mean(xp.astype(hits, xp.float64))) if output.shape[0] else 0.0


METRICS = {"accuracy": accuracy}
