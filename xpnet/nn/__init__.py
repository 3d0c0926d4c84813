"""Neural-network building blocks with PyTorch's names: ``Module``, layers, activations, losses.

Layers, losses and their functional forms are written once against the
backend's Array API namespace (``tensor.backend.xp``) and never import NumPy
or CuPy; see :mod:`xpnet.nn.functional` for the functions and
:mod:`xpnet.nn.init` for initializers.
"""
from . import functional, init, utils

# -- module system, dense layers, activations, dropout (nn core) --
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import ModuleList, Sequential
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .module import Module, Parameter

# -- losses --
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   MultiMarginLoss, NLLLoss)

# -- convolution, batch norm, pooling --
from .batchnorm import BatchNorm1d, BatchNorm2d
from .conv import Conv2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
