"""Functions with the names and signatures of ``torch.nn.functional``.

Each differentiable function defines its forward and backward side by side
on raw arrays of the input's backend (``x.backend.xp``).
"""
from .activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .batchnorm import batch_norm
from .conv import conv2d
from .dropout import dropout
from .linear import linear
from .loss import (
                   binary_cross_entropy,
                   binary_cross_entropy_with_logits,
                   cross_entropy,
                   huber_loss,
                   l1_loss,
                   mse_loss,
                   multi_margin_loss,
                   nll_loss,
)
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d

__all__ = [
    "linear", "dropout",
    "relu", "leaky_relu", "elu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax",
    "mse_loss", "l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "multi_margin_loss",
    "conv2d", "batch_norm", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
]
