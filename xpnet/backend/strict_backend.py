"""A test-only backend whose namespace is ``array_api_strict``.

Running the generic layer, loss and optimizer code on it proves that the code
uses only Array API standard functions: a NumPy-only call, a NumPy scalar or
an implicit float32/float64 mix fails here, so it cannot slip into the code
the CuPy backend runs.  The hot ops and ``add_at`` are backend-specific by
design; here they round-trip through the NumPy backend.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy

from . import get_backend
from .base import Backend


def _strict():
    import array_api_strict
    return array_api_strict


def _array_type():
    from array_api_strict._array_object import Array
    return Array


class StrictBackend(Backend):
    name = "array_api_strict"

    def __init__(self):
        self.xp = _strict()

    @classmethod
    def unavailable_reason(cls) -> Optional[str]:
        try:
            _strict()
        except ImportError:
            return "the package array-api-strict is not installed (pip install array-api-strict)"
        return None

    def is_array(self, a: Any) -> bool:
        return isinstance(a, _array_type())

    def asarray(self, data: Any, dtype=None) -> Any:
        host = self.to_numpy(data) if self.is_array(data) else numpy.asarray(data)
        if dtype is not None:
            host = host.astype(dtype)
        return self.xp.asarray(host, copy=True)

    def to_numpy(self, a: Any) -> numpy.ndarray:
        return numpy.array(numpy.from_dlpack(a), copy=True)

    def _via_numpy(self, method, *args):
        host = [self.to_numpy(a) if self.is_array(a) else a for a in args]
        out = getattr(get_backend("numpy"), method)(*host)
        if isinstance(out, tuple):
            return tuple(self.xp.asarray(o) for o in out)
        return self.xp.asarray(out)

    def add_at(self, shape, index, values):
        items = index if isinstance(index, tuple) else (index,)
        host = tuple(self.to_numpy(i) if self.is_array(i) else i for i in items)
        out = get_backend("numpy").add_at(shape, host if isinstance(index, tuple) else host[0],
                                          self.to_numpy(values))
        return self.xp.asarray(out)

    def conv2d_forward(self, x, weight, bias, stride, padding, dilation, groups):
        return self._via_numpy("conv2d_forward", x, weight, bias, stride, padding, dilation, groups)

    def conv2d_backward_data(self, grad_out, weight, input_shape, stride, padding, dilation, groups):
        return self._via_numpy("conv2d_backward_data", grad_out, weight, input_shape, stride,
                               padding, dilation, groups)

    def conv2d_backward_filter(self, grad_out, x, weight_shape, stride, padding, dilation, groups):
        return self._via_numpy("conv2d_backward_filter", grad_out, x, weight_shape, stride,
                               padding, dilation, groups)

    def batch_norm_forward_train(self, x, weight, bias, running_mean, running_var, momentum, eps):
        # the NumPy backend updates the running statistics in place: hand it host
        # copies (``_via_numpy`` passes NumPy arrays through) and write them back
        host = [None if a is None else self.to_numpy(a) for a in (running_mean, running_var)]
        out = self._via_numpy("batch_norm_forward_train", x, weight, bias, *host, momentum, eps)
        for dst, src in zip((running_mean, running_var), host):
            if dst is not None:
                dst[...] = self.xp.asarray(src)
        return out

    def batch_norm_forward_inference(self, x, weight, bias, running_mean, running_var, eps):
        return self._via_numpy("batch_norm_forward_inference", x, weight, bias, running_mean,
                               running_var, eps)

    def batch_norm_backward(self, grad_out, x, weight, save_mean, save_invstd):
        return self._via_numpy("batch_norm_backward", grad_out, x, weight, save_mean, save_invstd)
