"""Every backend implements exactly the Backend interface (as Thinc's test_ops_consistency).

For each registered backend class whose module imports here: every public
method of :class:`xpnet.backend.base.Backend` is defined with the same
parameters (names, order, kinds, defaults), and no public method is added.
Annotations are left out of the comparison: they document, callers depend on
names, order and defaults.
"""
import inspect

import pytest

from xpnet.backend import backend_class, backend_names
from xpnet.backend.base import Backend


def _public_methods(cls):
    return {name for name in dir(cls)
            if not name.startswith("_") and callable(getattr(cls, name))}


def _plain_signature(fn):
    sig = inspect.signature(fn)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return sig.replace(parameters=params, return_annotation=inspect.Signature.empty)


def _class_or_skip(name):
    try:
        return backend_class(name)
    except ImportError as e:  # e.g. the CUDA backends' modules need CuPy
        pytest.skip(f"backend {name!r} does not import here: {e}")


def test_base_interface_is_what_we_think():
    # guards the test itself: if the comparison saw no methods it would prove nothing
    assert {"asarray", "to_numpy", "add_at", "conv2d_forward", "batch_norm_backward",
            "unavailable_reason"} <= _public_methods(Backend)


@pytest.mark.parametrize("name", backend_names())
def test_backend_matches_the_interface(name):
    cls = _class_or_skip(name)
    assert issubclass(cls, Backend)
    assert cls.name == name
    assert not inspect.isabstract(cls), f"{cls.__name__} leaves abstract methods unimplemented"
    extra = _public_methods(cls) - _public_methods(Backend)
    assert not extra, f"{cls.__name__} adds public methods not in Backend: {sorted(extra)}"
    for method in sorted(_public_methods(Backend)):
        want = _plain_signature(getattr(Backend, method))
        got = _plain_signature(getattr(cls, method))
        assert got == want, f"{cls.__name__}.{method}{got} differs from Backend.{method}{want}"
        static_or_class = isinstance(inspect.getattr_static(Backend, method),
                                     (classmethod, staticmethod))
        assert isinstance(inspect.getattr_static(cls, method),
                          (classmethod, staticmethod)) == static_or_class, method
