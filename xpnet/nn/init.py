"""Parameter initializers with the names and formulas of ``torch.nn.init``.

Every initializer overwrites ``tensor.data`` in place (the array object is
kept, so views and optimizers holding the tensor see the new values), keeps
the tensor's dtype and backend, records no gradient, and returns the tensor.
Random values are drawn on the host in float64 from
:func:`xpnet.random.default_generator` (or ``generator``), rounded to the
tensor's dtype and moved with ``backend.asarray``: after
``xpnet.manual_seed(s)`` the weights are bit-identical on every backend.

Fans (see :func:`_calculate_fan_in_and_fan_out`) for a weight of shape
``(out, in, *kernel)``: ``fan_in = in * prod(kernel)``,
``fan_out = out * prod(kernel)``; a conv weight ``(K, C, R, S)`` has
``fan_in = C*R*S``.

>>> import xpnet
>>> from xpnet.nn import init
>>> w = xpnet.zeros(3, 4)
>>> _ = init.uniform_(w, -0.5, 0.5)
>>> bool((w.abs() <= 0.5).numpy().all())
True
"""
from __future__ import annotations

import math
import warnings

from .. import random

_GAIN_ONE = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
             "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for ``nonlinearity`` (PyTorch's table).

    ============================  =========================================
    linear, conv*, sigmoid        1
    tanh                          5/3
    relu                          sqrt(2)
    leaky_relu                    sqrt(2 / (1 + negative_slope^2)), param = negative_slope (default 0.01)
    selu                          3/4
    ============================  =========================================

    Raises ``ValueError`` for any other name.

    >>> from xpnet.nn import init
    >>> init.calculate_gain("relu"), init.calculate_gain("tanh")
    (1.4142135623730951, 1.6666666666666667)
    """
    if nonlinearity in _GAIN_ONE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, (int, float)):
            raise ValueError(f"calculate_gain('leaky_relu', param): param is the negative "
                             f"slope and must be a number; got {param!r}")
        else:
            slope = float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
                     f"{', '.join(_GAIN_ONE)}, tanh, relu, leaky_relu, selu")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *receptive_field)``.

    ``fan_in = in * prod(receptive_field)``, ``fan_out = out * prod(receptive_field)``.
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than "
                         f"2 dimensions; got shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out'; got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, host):
    """Write host values (an array or a scalar, broadcast) into ``tensor.data`` in place,
    rounded to its dtype."""
    tensor.data[...] = tensor.backend.asarray(host, dtype=tensor.dtype)
    return tensor


def _check_float(tensor, fn: str) -> None:
    if tensor.dtype.kind != "f":
        raise TypeError(f"init.{fn} needs a floating-point tensor; got dtype {tensor.dtype}")


def _draw(tensor, fn: str, sample, *params, generator):
    """Fill ``tensor`` with ``sample(*params, shape, dtype, generator)`` drawn on the host."""
    _check_float(tensor, fn)
    return _fill(tensor, sample(*params, tensor.shape, tensor.dtype, generator))


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None):
    """Fill ``tensor`` in place with samples of U(a, b) (``a <= b``); returns it.

    ``generator`` (a ``numpy.random.Generator``) overrides the global one.

    >>> import xpnet
    >>> from xpnet.nn import init
    >>> _ = xpnet.manual_seed(0)
    >>> init.uniform_(xpnet.zeros(3), -1.0, 1.0).numpy().round(3)
    array([ 0.274, -0.46 , -0.918], dtype=float32)
    """
    if not a <= b:
        raise ValueError(f"init.uniform_ needs a <= b; got a={a}, b={b}")
    return _draw(tensor, "uniform_", random.uniform, a, b, generator=generator)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None):
    """Fill ``tensor`` in place with samples of N(mean, std^2) (``std >= 0``); returns it.

    >>> import xpnet
    >>> from xpnet.nn import init
    >>> _ = xpnet.manual_seed(0)
    >>> init.normal_(xpnet.zeros(3), mean=1.0, std=0.1).numpy().round(3)
    array([1.013, 0.987, 1.064], dtype=float32)
    """
    if not std >= 0:
        raise ValueError(f"init.normal_ needs std >= 0; got std={std}")
    return _draw(tensor, "normal_", random.normal, mean, std, generator=generator)


def constant_(tensor, val):
    """Fill ``tensor`` in place with the value ``val`` (any dtype); returns it.

    >>> import xpnet
    >>> from xpnet.nn import init
    >>> init.constant_(xpnet.zeros(2), 0.5).tolist()
    [0.5, 0.5]
    """
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill ``tensor`` in place with 0; returns it.

    >>> import xpnet
    >>> from xpnet.nn import init
    >>> init.zeros_(xpnet.ones(2)).tolist()
    [0.0, 0.0]
    """
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill ``tensor`` in place with 1; returns it.

    >>> import xpnet
    >>> from xpnet.nn import init
    >>> init.ones_(xpnet.zeros(2, dtype="int64")).tolist()
    [1, 1]
    """
    return constant_(tensor, 1)


def _empty(tensor, fn: str) -> bool:
    if 0 in tuple(tensor.shape):
        warnings.warn(f"init.{fn}: initializing a zero-element tensor is a no-op", stacklevel=3)
        return True
    return False


def xavier_uniform_(tensor, gain: float = 1.0, generator=None):
    """Glorot uniform: U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))``, in place.

    ``tensor``: at least 2-D, ``(out, in, *kernel)``; returns it.

    >>> import xpnet
    >>> from xpnet.nn import init
    >>> w = init.xavier_uniform_(xpnet.zeros(20, 30))       # a = sqrt(6 / 50)
    >>> bool(w.abs().max().item() <= (6 / 50) ** 0.5)
    True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None):
    """Glorot normal: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``, in place.

    ``tensor``: at least 2-D, ``(out, in, *kernel)``; returns it.

    >>> import xpnet
    >>> from xpnet.nn import init
    >>> _ = xpnet.manual_seed(0)
    >>> w = init.xavier_normal_(xpnet.zeros(200, 300))      # std = sqrt(2 / 500) ~ 0.063
    >>> round(float(w.numpy().std()), 3)
    0.063
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor, a, mode, nonlinearity) -> float:
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None):
    """He uniform: U(-bound, bound), ``bound = gain * sqrt(3 / fan)``.

    ``gain = calculate_gain(nonlinearity, a)``; ``fan`` is ``fan_in`` or
    ``fan_out`` per ``mode``.  ``Linear`` uses ``a = sqrt(5)``, which gives
    ``bound = 1 / sqrt(fan_in)``.  In place; returns ``tensor`` (at least 2-D).

    >>> import xpnet
    >>> from xpnet.nn import init
    >>> w = init.kaiming_uniform_(xpnet.zeros(8, 4, 3, 3), nonlinearity="relu")
    >>> bool(w.abs().max().item() <= 2 ** 0.5 * (3 / 36) ** 0.5)   # fan_in = 4 * 3 * 3
    True
    """
    if _empty(tensor, "kaiming_uniform_"):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None):
    """He normal: N(0, std^2), ``std = gain / sqrt(fan)`` (see :func:`kaiming_uniform_`), in place.

    >>> import xpnet
    >>> from xpnet.nn import init
    >>> _ = xpnet.manual_seed(0)
    >>> w = init.kaiming_normal_(xpnet.zeros(500, 200), nonlinearity="relu")   # std = 0.1
    >>> round(float(w.numpy().std()), 2)
    0.1
    """
    if _empty(tensor, "kaiming_normal_"):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]
