"""Optimizer state dicts as flat ``{name: ndarray}`` maps, for ``numpy.savez`` without pickle.

``Optimizer.state_dict()`` is nested (``state`` by parameter index,
``param_groups`` as a list of dicts) and mixes arrays with Python numbers.
:func:`flatten_state_dict` turns it into one level of NumPy arrays named by
path, which ``numpy.savez`` stores and ``numpy.load(..., allow_pickle=False)``
reads back; :func:`unflatten_state_dict` rebuilds the nested form::

    numpy.savez("opt.npz", **flatten_state_dict(opt.state_dict()))
    with numpy.load("opt.npz", allow_pickle=False) as f:
        opt.load_state_dict(unflatten_state_dict(dict(f)))

Names: ``state/<index>/<key>`` (``step`` as a 0-d int64 array) and
``param_groups/<g>/<key>`` (numbers and bools as 0-d arrays, tuples such as
``betas`` and the ``params`` index list as 1-d arrays).
"""
from __future__ import annotations

from typing import Any, Dict

import numpy


def flatten_state_dict(state_dict: Dict[str, Any]) -> Dict[str, numpy.ndarray]:
    """``{"state/0/exp_avg": ndarray, "param_groups/0/lr": array(0.001), ...}`` from a state dict."""
    flat: Dict[str, numpy.ndarray] = {}
    for index, entry in state_dict["state"].items():
        for key, value in entry.items():
            flat[f"state/{int(index)}/{key}"] = numpy.asarray(value)
    for g, group in enumerate(state_dict["param_groups"]):
        for key, value in group.items():
            if value is None or isinstance(value, (str, dict)):
                raise ValueError(f"flatten_state_dict: param_groups[{g}][{key!r}] = {value!r} "
                                 "is not a number, bool or tuple of numbers; it cannot be "
                                 "stored as an array")
            flat[f"param_groups/{g}/{key}"] = numpy.asarray(
                value, dtype=numpy.int64 if key == "params" else None)
    return flat


def unflatten_state_dict(flat: Dict[str, Any]) -> Dict[str, Any]:
    """The nested state dict from :func:`flatten_state_dict`'s output (e.g. a loaded ``.npz``)."""
    state: Dict[int, Dict[str, Any]] = {}
    groups: Dict[int, Dict[str, Any]] = {}
    for name, value in flat.items():
        parts = name.split("/")
        if len(parts) != 3 or parts[0] not in ("state", "param_groups") or not parts[1].isdigit():
            raise ValueError(f"unflatten_state_dict: unexpected entry {name!r}; names are "
                             "'state/<index>/<key>' or 'param_groups/<g>/<key>'")
        kind, index, key = parts[0], int(parts[1]), parts[2]
        value = numpy.asarray(value)
        if kind == "state":
            state.setdefault(index, {})[key] = int(value) if key == "step" else value
        elif key == "params":
            groups.setdefault(index, {})[key] = [int(i) for i in value.reshape(-1)]
        else:
            groups.setdefault(index, {})[key] = (value.item() if value.ndim == 0
                                                 else tuple(value.tolist()))
    if sorted(groups) != list(range(len(groups))):
        raise ValueError(f"unflatten_state_dict: parameter groups {sorted(groups)} are not "
                         "numbered 0, 1, ...")
    return {"state": state, "param_groups": [groups[g] for g in range(len(groups))]}


__all__ = ["flatten_state_dict", "unflatten_state_dict"]
