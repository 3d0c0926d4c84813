"""Type promotion where bools, integers and floats meet, as PyTorch (on every backend).

PyTorch orders dtypes in categories, bool < integer < floating, and an
operation between two categories computes in the higher one:

* a tensor of a lower category is cast to the dtype of a higher-category
  *tensor* operand (int64 tensor + float32 tensor -> float32);
* against a Python scalar of a higher category it is cast to that category's
  default dtype: float32 for a Python float, int64 for a Python int
  (``tensor([1, 2]) + 0.5`` is float32 ``[1.5, 2.5]``);
* true division of bools/integers computes in float32.

Within a category the backend's own rules apply (they agree with PyTorch:
float32 with float64 gives float64, and a Python scalar keeps the tensor's
dtype).  Without this, NumPy would compute int64 + 0.5 in float64 and the
Array API (``array_api_strict``) rejects the mix outright.
"""
from __future__ import annotations

from ...dtypes import DEFAULT_FLOAT
from .unary import astype

_DEFAULT = {1: "int64", 2: DEFAULT_FLOAT}  # category -> dtype a Python scalar stands for
_KIND_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def _category(v) -> int:
    """0 bool, 1 integer, 2 floating; None for operands promotion does not concern."""
    if hasattr(v, "backend"):
        return _KIND_CATEGORY.get(v.dtype.kind)
    if isinstance(v, bool):
        return 0
    if isinstance(v, int):
        return 1
    if isinstance(v, float):
        return 2
    return None


def promote(*operands, true_division: bool = False) -> tuple:
    """``operands`` (Tensors and Python scalars, as from ``as_tensors``) with every
    tensor of a lower category cast to the common one (see the module docstring)."""
    tensors = [v for v in operands if hasattr(v, "backend")]
    if len(tensors) == len(operands) and all(t.data.dtype == tensors[0].data.dtype
                                             for t in tensors) and \
            (not true_division or tensors[0].dtype.kind == "f"):
        return operands  # the common case: one dtype throughout
    categories = [_category(v) for v in operands]
    if None in categories:
        return operands
    top = max(categories)
    if true_division and top < 2:
        top, target = 2, DEFAULT_FLOAT
    else:
        target = next((t.dtype for t, c in zip(operands, categories)
                       if c == top and hasattr(t, "backend")), _DEFAULT.get(top))
    if target is None:  # only bools
        return operands
    return tuple(astype(v, target) if hasattr(v, "backend") and c < top else v
                 for v, c in zip(operands, categories))


__all__ = ["promote"]
