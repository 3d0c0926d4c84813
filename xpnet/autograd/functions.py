"""Function forms of the Tensor methods, as PyTorch's ``torch.exp(x)``, ``torch.sum(x, dim)``...

Each is the Tensor method of the same name (same arguments, same gradient),
so ``xpnet.exp(x)`` and ``x.exp()`` are interchangeable.

>>> import xpnet
>>> x = xpnet.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> xpnet.sum(x, dim=1).tolist()
[3.0, 7.0]
>>> xpnet.argmax(x, dim=1).tolist()
[1, 1]
"""
from __future__ import annotations

import inspect

from .function import as_tensors
from .tensor import Tensor

_METHODS = ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "sum", "mean", "max", "min",
            "argmax", "argmin", "reshape", "flatten", "transpose", "permute", "unsqueeze",
            "squeeze", "clip", "clamp")


def _function_form(name):
    def fn(input, *args, **kwargs):
        t, = as_tensors(input)
        return getattr(t, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    # the method's docstring (formula, shapes, example), then what this form adds
    fn.__doc__ = (inspect.cleandoc(getattr(Tensor, name).__doc__)
                  + f"\n\nFunction form: ``xpnet.{name}(input, ...)`` is ``input.{name}(...)``.")
    return fn


globals().update({name: _function_form(name) for name in _METHODS})
__all__ = list(_METHODS)
