"""The NumPy (CPU) backend: ``xp`` is NumPy itself (Array API compatible since 2.0).

The hot ops live in :mod:`xpnet.backend.numpy_conv` and
:mod:`xpnet.backend.numpy_batchnorm`: vectorized, on top of BLAS.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy

from . import numpy_batchnorm, numpy_conv
from .base import Backend
from .host_memory import tune_host_allocator


class NumpyBackend(Backend):
    name = "numpy"
    xp = numpy

    def __init__(self):
        tune_host_allocator()  # reuse freed host memory: no page faults every step

    @classmethod
    def unavailable_reason(cls) -> Optional[str]:
        return None

    def to_numpy(self, a: Any) -> numpy.ndarray:
        return numpy.array(a, copy=True)

    def add_at(self, shape, index, values):
        out = numpy.zeros(shape, dtype=values.dtype)
        numpy.add.at(out, index, values)
        return out

    def conv2d_forward(self, x, weight, bias, stride, padding, dilation, groups):
        return numpy_conv.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)

    def conv2d_backward_data(self, grad_out, weight, input_shape, stride, padding, dilation, groups):
        return numpy_conv.conv2d_backward_data(grad_out, weight, input_shape, stride, padding,
                                               dilation, groups)

    def conv2d_backward_filter(self, grad_out, x, weight_shape, stride, padding, dilation, groups):
        return numpy_conv.conv2d_backward_filter(grad_out, x, weight_shape, stride, padding,
                                                 dilation, groups)

    def batch_norm_forward_train(self, x, weight, bias, running_mean, running_var, momentum, eps):
        return numpy_batchnorm.forward_train(x, weight, bias, running_mean, running_var,
                                             momentum, eps)

    def batch_norm_forward_inference(self, x, weight, bias, running_mean, running_var, eps):
        return numpy_batchnorm.forward_inference(x, weight, bias, running_mean, running_var, eps)

    def batch_norm_backward(self, grad_out, x, weight, save_mean, save_invstd):
        return numpy_batchnorm.backward(grad_out, x, weight, save_mean, save_invstd)
