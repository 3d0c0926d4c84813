"""The hot ops of the kernel backends (``cupy``, ``cudasim``): our CUDA kernels via
``self.launcher``.

:class:`KernelOps` is a mixin holding the ``Backend`` hot-op methods (same
signatures as ``xpnet/backend/base.py``); each forwards to the validating
launch wrappers of :mod:`.conv2d` and :mod:`.batchnorm` with the backend's
launcher (a ``CupyLauncher`` on the GPU, a ``SimLauncher`` on the CPU), so both
backends run the very same Python launch code.
"""
from __future__ import annotations

from . import batchnorm, conv2d
from .launch import Launcher


class KernelOps:
    """Mixin: hot ops through ``self.launcher``; put it before the Backend base class."""

    launcher: Launcher

    def precompile(self) -> None:
        """Compile every kernel for float32 and float64 now instead of on first use."""
        self.launcher.precompile()

    def conv2d_forward(self, x, weight, bias, stride, padding, dilation, groups):
        return conv2d.forward(self.launcher, x, weight, bias, stride, padding, dilation, groups)

    def conv2d_backward_data(self, grad_out, weight, input_shape, stride, padding, dilation, groups):
        return conv2d.backward_data(self.launcher, grad_out, weight, input_shape, stride, padding,
                                    dilation, groups)

    def conv2d_backward_filter(self, grad_out, x, weight_shape, stride, padding, dilation, groups):
        return conv2d.backward_filter(self.launcher, grad_out, x, weight_shape, stride, padding,
                                      dilation, groups)

    def batch_norm_forward_train(self, x, weight, bias, running_mean, running_var, momentum, eps):
        return batchnorm.forward_train(self.launcher, x, weight, bias, running_mean, running_var,
                                       momentum, eps)

    def batch_norm_forward_inference(self, x, weight, bias, running_mean, running_var, eps):
        return batchnorm.forward_inference(self.launcher, x, weight, bias, running_mean,
                                           running_var, eps)

    def batch_norm_backward(self, grad_out, x, weight, save_mean, save_invstd):
        return batchnorm.backward(self.launcher, grad_out, x, weight, save_mean, save_invstd)
