"""What ``Module.to`` and ``Module.load_state_dict`` do to one tensor, validated first.

Both re-home arrays *in place of the Tensor objects* (parameters keep their
identity, so optimizers built earlier keep working); every check runs before
anything is modified.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any, Optional, Tuple

from ..autograd.tensor import Tensor
from ..backend import Backend, backend_names, get_backend
from ..dtypes import as_dtype, can_cast, is_floating
from ..host import host_dtype_and_shape

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def parse_to_args(target, dtype) -> Tuple[Optional[Backend], Any]:
    """Resolve ``Module.to``'s arguments before anything is moved."""
    dest = None
    if isinstance(target, Backend) or (isinstance(target, str) and target in backend_names()):
        dest = get_backend(target)  # RuntimeError here if the backend cannot run
    elif target is not None:
        if dtype is not None:
            raise TypeError(f"Module.to(target, dtype): target must be a backend name when "
                            f"dtype is given; got {target!r}")
        dtype = target
    if dtype is not None:
        try:
            dtype = as_dtype(dtype, "Module.to(dtype)")
        except TypeError:
            raise TypeError(f"Module.to() takes a backend name ({', '.join(backend_names())}) "
                            f"or a floating dtype; got {dtype!r}") from None
        if not is_floating(dtype):
            raise TypeError(f"Module.to(dtype) accepts floating dtypes only; got {dtype}")
    return dest, dtype


def move(t: Tensor, dest: Optional[Backend], cast: Any) -> None:
    """Re-home ``t``'s array in place: same Tensor object, new backend and/or dtype
    (``cast``, a dtype from :func:`parse_to_args`, applies to floating tensors only)."""
    new_dtype = cast if cast is not None and is_floating(t.dtype) else None
    if dest is not None and dest is not t.backend:
        t.data = dest.asarray(t.numpy(), dtype=new_dtype)
        t.backend = dest
    elif new_dtype is not None and new_dtype != t.dtype:
        t.data = t.backend.xp.astype(t.data, t.backend.xp_dtype(new_dtype))


def check_value(key: str, value, target: Tensor) -> Optional[str]:
    """Why ``value`` cannot be loaded into ``target``, or None if it can."""
    dtype, shape = host_dtype_and_shape(value)
    if dtype is None:
        return (f"{key!r} must be a Tensor or a NumPy array; got {type(value).__name__}")
    if shape != target.shape:
        return (f"size mismatch for {key!r}: expected shape {target.shape}, "
                f"got shape {shape}")
    if not can_cast(dtype, target.dtype):
        return (f"dtype mismatch for {key!r}: cannot cast {dtype} to the module's "
                f"{target.dtype}")
    return None


def copy_into(target: Tensor, value) -> None:
    """Write ``value`` into ``target.data`` in place (as ``torch.Tensor.copy_``)."""
    be = target.backend
    if isinstance(value, Tensor):
        src = value.data if value.backend is be else value.numpy()
    else:  # a NumPy array or scalar (check_value has let nothing else through)
        src = value
    target.data[...] = be.asarray(src, dtype=target.dtype)


__all__ = ["IncompatibleKeys", "parse_to_args", "move", "check_value", "copy_into"]
