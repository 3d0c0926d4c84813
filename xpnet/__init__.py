"""xpnet: a small deep-learning library whose layers, losses and optimizers are
written once against an Array API namespace and run on NumPy (CPU) or CuPy
(NVIDIA GPU, with our own CUDA kernels for convolution and batch norm).

Names, signatures and numerics follow PyTorch::

    import xpnet
    from xpnet import nn, optim

    xpnet.set_backend("numpy")          # or "cupy"; env var XPNET_BACKEND
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
"""
from .autograd import (Tensor, abs, arange, argmax, argmin, cat, clamp, clip, enable_grad, exp,
                       flatten, full, gradcheck, is_grad_enabled, log, matmul, max, maximum,
                       mean, min, minimum, no_grad, ones, ones_like, pad, permute, rand, randn,
                       reshape, sigmoid, sqrt, squeeze, stack, sum, tanh, tensor, transpose,
                       unsqueeze, where, zeros, zeros_like)
from .backend import available_backends, get_backend, set_backend, use_backend
from .checkpoint import load, save
from .dtypes import bool_, float32, float64, int32, int64
from .random import get_rng_state, manual_seed, set_rng_state

__version__ = "0.1.0"

__all__ = ["Tensor", "tensor", "zeros", "ones", "zeros_like", "ones_like", "full", "arange",
           "rand", "randn", "cat", "stack", "pad", "where", "maximum", "minimum", "no_grad",
           "enable_grad", "is_grad_enabled", "gradcheck", "get_backend", "set_backend",
           "use_backend", "available_backends", "manual_seed", "get_rng_state", "set_rng_state", "float32", "float64", "int64",
           "int32", "bool_", "nn", "optim", "data", "train", "matmul", "exp", "log", "sqrt",
           "abs", "tanh", "sigmoid", "sum", "mean", "max", "min", "argmax", "argmin",
           "reshape", "flatten", "transpose", "permute", "unsqueeze", "squeeze", "clip",
           "clamp", "save", "load"]


def __getattr__(name):
    # subpackages load on first use (``xpnet.nn.Linear`` works after ``import xpnet``)
    if name in ("nn", "optim", "data", "train", "autograd", "backend"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'xpnet' has no attribute {name!r}")
