"""Functions with the names and signatures of ``torch.nn.functional``.

Each differentiable function defines its forward and backward side by side
on raw arrays of the input's backend (``x.backend.xp``).
"""
# -- linear, activations, dropout --
from .activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
from .dropout import dropout
from .linear import linear

# -- losses --
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                   huber_loss, l1_loss, mse_loss, multi_margin_loss, nll_loss)

# -- convolution, batch norm, pooling --
from .batchnorm import batch_norm
from .conv import conv2d
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
