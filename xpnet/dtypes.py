"""Host-side dtype and scalar helpers: how xpnet reads the dtypes and numbers users pass.

Dtypes arrive the PyTorch way (``xpnet.float32``), as strings (``"float64"``)
or as NumPy dtypes; :func:`as_dtype` turns each into one NumPy dtype object,
the dtype vocabulary xpnet uses on every backend (``Backend.xp_dtype`` maps it
to the namespace's own dtype).  Numbers arrive as Python numbers, NumPy
scalars, or 0-d arrays (e.g. in a saved state dict): :func:`scalar_value`
unwraps the latter, :func:`is_real` and :func:`is_bool` classify them.

Layer, loss and optimizer code calls these instead of importing NumPy, so it
stays written against the backend's array namespace alone.

>>> import xpnet
>>> from xpnet.dtypes import as_dtype, floating_dtype, is_real
>>> as_dtype("float64", "dtype") == xpnet.float64
True
>>> floating_dtype(None, "Linear(dtype=...)")
dtype('float32')
>>> is_real(True), is_real(0.5)
(False, True)
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy

#: The dtypes of xpnet's public namespace (``xpnet.float32`` ...), as NumPy dtype objects.
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
bool_ = numpy.dtype("bool")

#: The default floating dtype (as PyTorch): Python floats and new parameters get it.
DEFAULT_FLOAT = float32


def as_dtype(dtype: Any, where: str) -> numpy.dtype:
    """``dtype`` (``xpnet.float32``, ``"float64"``, a NumPy dtype or type) as a NumPy dtype.

    ``where`` names the argument in the ``TypeError`` raised for anything
    that is not a dtype.
    """
    try:
        return numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where} needs a dtype such as xpnet.float32 or 'float64'; "
                        f"got {dtype!r}") from None


def is_floating(dtype: Any) -> bool:
    """True for floating-point dtypes (float16, float32, float64)."""
    return numpy.dtype(dtype).kind == "f"


def floating_dtype(dtype: Any, where: str, default: numpy.dtype = DEFAULT_FLOAT) -> numpy.dtype:
    """``dtype`` as a floating NumPy dtype (``default`` if None), else ``TypeError`` naming ``where``."""
    dtype = default if dtype is None else as_dtype(dtype, where)
    if not is_floating(dtype):
        raise TypeError(f"{where} must be a floating dtype; got {dtype}")
    return dtype


def can_cast(src: Any, dst: Any) -> bool:
    """True if values of ``src`` may be stored in ``dst`` within one kind or upwards
    (NumPy's ``same_kind``: float64 -> float32 yes, float -> int no)."""
    return bool(numpy.can_cast(numpy.dtype(src), numpy.dtype(dst), casting="same_kind"))


def scalar_value(value: Any) -> Any:
    """A NumPy scalar or 0-d NumPy array as the Python scalar it holds (e.g. from
    a saved state dict); anything else unchanged."""
    if isinstance(value, (numpy.ndarray, numpy.generic)) and numpy.ndim(value) == 0:
        return value.item()
    return value


def is_real(value: Any) -> bool:
    """True for real numbers (Python or NumPy ints and floats), False for bools and the rest."""
    return not isinstance(value, (bool, numpy.bool_)) and isinstance(value, numbers.Real)


def is_bool(value: Any) -> bool:
    """True for ``True``/``False`` and NumPy bools."""
    return isinstance(value, (bool, numpy.bool_))


__all__ = ["DEFAULT_FLOAT", "as_dtype", "is_floating", "floating_dtype",
           "can_cast", "scalar_value", "is_real", "is_bool"]
