"""Batch normalization, as ``torch.nn.functional.batch_norm``.

Per channel ``c`` of ``x`` (N, C, *), over the ``m = N * prod(*)`` values:

* training: ``mean = sum(x)/m``, ``var = sum((x - mean)^2)/m`` (biased, used to
  normalize), ``y = (x - mean)/sqrt(var + eps) * weight + bias``; running
  estimates, if given, move by ``momentum`` towards ``mean`` and the *unbiased*
  variance ``var * m/(m - 1)``;
* evaluation: ``y = (x - running_mean)/sqrt(running_var + eps) * weight + bias``.

The training forward and its backward are backend ops (stable statistics,
never E[x^2] - E[x]^2).  With ``xhat = (x - mean) * invstd``::

    dL/dbias = sum(g)    dL/dweight = sum(g * xhat)
    dL/dx = weight * invstd / m * (m g - dL/dbias - xhat dL/dweight)
"""
from __future__ import annotations

from ...autograd.function import as_tensors, record
from ._loss_common import check_number


def _check(input, running_mean, running_var, weight, bias, training, layer):
    if input.ndim < 2:
        raise ValueError(f"{layer}: input must be (N, C) or (N, C, *); got shape {input.shape}")
    if input.dtype.kind != "f":
        raise TypeError(f"{layer}: input must be floating point; got dtype {input.dtype} "
                        f"(convert with .float())")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"{layer}: {name} must have shape ({c},) for input of shape "
                             f"{input.shape} ({c} channels); got {t.shape}")
        if t is not None and t.dtype != input.dtype:
            raise TypeError(f"{layer}: input dtype {input.dtype} differs from {name} dtype "
                            f"{t.dtype}; cast one with .to(...)")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{layer}: running_mean and running_var must both be tensors or both be "
                         f"None; got running_mean={'None' if running_mean is None else 'a tensor'}"
                         f", running_var={'None' if running_var is None else 'a tensor'}")
    if training:
        m = input.numel() // max(c, 1)
        if m <= 1:
            raise ValueError(f"{layer}: expected more than 1 value per channel when training; "
                             f"got input of shape {input.shape}")
    elif running_mean is None or running_var is None:
        raise ValueError(f"{layer}: evaluation mode (training=False) needs running_mean and "
                         f"running_var; got None")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5, layer="batch_norm"):
    """Normalize each channel of ``input`` (N, C, *): ``y = (x - E[x]) / sqrt(Var[x] + eps) * γ + β``.

    Training: ``E[x]`` and the *biased* ``Var[x]`` (divide by m) are the batch
    statistics over the ``m = N * prod(*)`` values of each channel, and the
    running estimates, if given, move by ``momentum`` towards the mean and the
    *unbiased* variance (``var * m / (m - 1)``), as PyTorch.  Evaluation
    (``training=False``): ``E[x]``, ``Var[x]`` are ``running_mean``/``running_var``.
    ``γ = weight``, ``β = bias``.

    running_mean, running_var: (C,) Tensors or None; in training mode they are
    updated in place (without gradient).  weight, bias: (C,) or None (1 and 0).
    Returns a tensor shaped like ``input``.  Gradients: see the module docstring.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> x = xpnet.tensor([[1.0], [3.0]])                     # (N=2, C=1)
    >>> mean, var = xpnet.zeros(1), xpnet.ones(1)
    >>> F.batch_norm(x, mean, var, training=True).numpy().round(3).tolist()
    [[-1.0], [1.0]]
    >>> mean.tolist(), var.tolist()                          # var: unbiased 2.0, momentum 0.1
    ([0.20000000298023224], [1.100000023841858])

    See also: :class:`xpnet.nn.BatchNorm1d`, :class:`xpnet.nn.BatchNorm2d`.
    """
    input, weight, bias, running_mean, running_var = as_tensors(
        input, weight, bias, running_mean, running_var,
        names=("input", "weight", "bias", "running_mean", "running_var"))
    check_number(layer, "momentum", momentum, low=0.0, high=1.0)
    check_number(layer, "eps", eps, low=0, low_open=True)
    _check(input, running_mean, running_var, weight, bias, training, layer)
    be, xp = input.backend, input.backend.xp
    w, b, rm, rv = (None if t is None else t.data
                    for t in (weight, bias, running_mean, running_var))

    if training:
        y, mean, invstd = be.batch_norm_forward_train(input.data, w, b, rm, rv,
                                                      float(momentum), float(eps))

        def backward(g):
            gx, gw, gb = be.batch_norm_backward(g, input.data, w, mean, invstd)
            return gx, gw, gb
        return record(y, (input, weight, bias), backward)

    if input.numel() == 0:  # an empty batch in evaluation, as torch: nothing to normalize
        y = xp.zeros(input.data.shape, dtype=input.data.dtype)
    else:
        y = be.batch_norm_forward_inference(input.data, w, b, rm, rv, float(eps))
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))

    def backward_eval(g):  # an affine map per channel: y = x * scale + shift
        invstd = 1.0 / xp.sqrt(rv + eps)
        scale = invstd if w is None else w * invstd
        gx = g * xp.reshape(scale, shape)
        xhat = (input.data - xp.reshape(rm, shape)) * xp.reshape(invstd, shape)
        return gx, xp.sum(g * xhat, axis=axes), xp.sum(g, axis=axes)
    return record(y, (input, weight, bias), backward_eval)
