"""Neural-network building blocks with PyTorch's names: ``Module``, layers, activations, losses.

Layers, losses and their functional forms are written once against the
backend's Array API namespace (``tensor.backend.xp``) and never import NumPy
or CuPy; see :mod:`xpnet.nn.functional` for the functions and
:mod:`xpnet.nn.init` for initializers.
"""
from . import functional, init, utils
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .batchnorm import BatchNorm1d, BatchNorm2d
from .container import ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .linear import Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   MultiMarginLoss, NLLLoss)
from .module import Module, Parameter
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "functional", "init", "utils",
    # module system and containers
    "Module", "Parameter", "Sequential", "ModuleList",
    # layers
    "Linear", "Identity", "Flatten", "Dropout", "Conv2d", "BatchNorm1d", "BatchNorm2d",
    "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
    # activations
    "ReLU", "LeakyReLU", "ELU", "GELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    # losses
    "MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "NLLLoss", "MultiMarginLoss",
]
