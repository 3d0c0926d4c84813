"""The public names users are promised exist (and the optional packages' when they import)."""
import importlib

import numpy
import pytest

import xpnet

CORE = ["set_backend", "use_backend", "get_backend", "available_backends", "tensor", "Tensor",
        "no_grad", "enable_grad", "manual_seed", "zeros", "ones", "randn", "rand", "arange",
        "cat", "stack", "where", "float32", "float64", "int64"]
PACKAGES = {
    "nn": ["Module", "Parameter", "Sequential", "Linear", "Conv2d", "BatchNorm2d", "ReLU",
           "MaxPool2d", "Flatten", "Dropout", "CrossEntropyLoss", "functional"],
    "optim": ["Optimizer", "SGD", "Adam"],
    "data": ["Dataset", "DataLoader", "TensorDataset"],
    "distributed": ["init", "setup", "rank", "world_size", "is_main", "barrier", "all_reduce",
                    "broadcast", "DistributedDataParallel"],
}


@pytest.mark.parametrize("name", CORE)
def test_core_names(name):
    assert hasattr(xpnet, name), f"xpnet.{name} is missing"
    assert name in xpnet.__all__


def test_autograd_gradcheck_is_the_function():
    assert callable(xpnet.autograd.gradcheck)
    assert xpnet.autograd.gradcheck is xpnet.gradcheck


def test_dtypes_are_numpy_dtypes():
    assert (xpnet.float32, xpnet.float64, xpnet.int64) == tuple(
        numpy.dtype(n) for n in ("float32", "float64", "int64"))


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_package_names(package):
    try:
        mod = importlib.import_module(f"xpnet.{package}")
    except ImportError as e:
        pytest.skip(f"xpnet.{package} does not import yet: {e}")
    missing = [n for n in PACKAGES[package] if not hasattr(mod, n)]
    assert not missing, f"xpnet.{package} lacks {missing}"
    assert getattr(xpnet, package) is mod  # lazily reachable as an attribute


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        xpnet.no_such_thing
