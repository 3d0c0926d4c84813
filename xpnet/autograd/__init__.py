"""Define-by-run reverse-mode automatic differentiation.

:mod:`.tensor` (the Tensor), :mod:`.function` (recording and the engine),
:mod:`.ops` (each op's forward and backward side by side),
:mod:`.gradcheck` (finite differences).
"""
from .factory import arange, full, ones, ones_like, rand, randn, zeros, zeros_like
from .functions import (abs, argmax, argmin, clamp, clip, exp, flatten, log, max, mean, min,
                        permute, reshape, sigmoid, sqrt, squeeze, sum, tanh, transpose,
                        unsqueeze)
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .gradcheck import gradcheck, numerical_grad
from .ops.arith import matmul
from .ops.reduce import MaxMin
from .ops.shape import cat, pad, stack
from .ops.unary import maximum, minimum, where
from .tensor import Tensor, tensor

__all__ = ["Tensor", "tensor", "no_grad", "enable_grad", "is_grad_enabled", "gradcheck",
           "numerical_grad", "zeros", "ones", "zeros_like", "ones_like", "full", "arange",
           "rand", "randn", "cat", "stack", "pad", "where", "maximum", "minimum", "matmul",
           "MaxMin", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "sum", "mean", "max", "min",
           "argmax", "argmin", "reshape", "flatten", "transpose", "permute", "unsqueeze",
           "squeeze", "clip", "clamp"]
