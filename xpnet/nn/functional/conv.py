"""2-D convolution (cross-correlation, as PyTorch), NCHW.

For input ``x`` (N, C, H, W) and weight ``w`` (K, C/groups, R, S)::

    y[n, k, p, q] = b[k] + sum_{c, r, s} x[n, g(k)*C/groups + c, p*sh - ph + r*dh, q*sw - pw + s*dw] * w[k, c, r, s]

with ``P = (H + 2 ph - dh (R - 1) - 1) // sh + 1`` (likewise Q).  The forward
and both gradients are backend ops (BLAS on NumPy, our CUDA kernels on CuPy):
``dL/dx = conv2d_backward_data(g, w)``, ``dL/dw = conv2d_backward_filter(g, x)``,
``dL/db = sum_{n, p, q} g``.
"""
from __future__ import annotations

from ...autograd.function import as_tensors, record
from ...autograd.ops.shape import pad as pad_op
from ...backend.conv_geometry import output_size


def pair(value, name, minimum=0):
    """``value`` (int or pair of ints) as a pair, each ``>= minimum``; else ValueError naming it."""
    items = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < minimum
                              for v in items):
        raise ValueError(f"{name} must be an int or a pair of ints >= {minimum}; got {value!r}")
    return items


def check_padding(padding, stride, layer):
    """``padding`` as ``'same'``, ``'valid'`` or a pair of ints >= 0 (``'same'`` needs stride 1)."""
    if not isinstance(padding, str):
        return pair(padding, f"{layer}: padding", 0)
    if padding not in ("same", "valid"):
        raise ValueError(f"{layer}: padding must be an int, a pair, 'same' or 'valid'; "
                         f"got {padding!r}")
    if padding == "same" and stride != (1, 1):
        raise ValueError(f"{layer}: padding='same' needs stride 1; got stride {stride}")
    return padding


def _same_padding(kernel, dilation):
    """PyTorch's 'same': total ``d (k - 1)``, the odd one extra on the right/bottom."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return [(t // 2, t - t // 2) for t in total]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, layer="conv2d"):
    """2-D convolution over (N, C, H, W) input, as ``torch.nn.functional.conv2d``.

    Args:
        input: (N, C, H, W).  weight: (K, C // groups, R, S).  bias: (K,) or None.
        stride, dilation: int or (sh, sw) / (dh, dw), each >= 1.
        padding: int or (ph, pw) (zeros on both sides), or ``'valid'`` (0) or
            ``'same'`` (output size = input size; stride must be 1; an odd total
            padding puts the extra row/column at the bottom/right, as PyTorch).
        groups: input and output channels are split into ``groups`` independent convolutions.
    Returns:
        (N, K, P, Q) with ``P = (H + 2 ph - dh (R - 1) - 1) // sh + 1`` (likewise Q).

    >>> import xpnet
    >>> x = xpnet.ones(1, 1, 3, 3); w = xpnet.ones(1, 1, 2, 2)
    >>> conv2d(x, w).shape
    (1, 1, 2, 2)
    >>> conv2d(x, w, padding="same").tolist()
    [[[[4.0, 4.0, 2.0], [4.0, 4.0, 2.0], [2.0, 2.0, 1.0]]]]

    See also: :class:`xpnet.nn.Conv2d`, ``Backend.conv2d_forward`` (the formula).
    """
    input, weight, bias = as_tensors(input, weight, bias, names=("input", "weight", "bias"))
    stride = pair(stride, f"{layer}: stride", 1)
    dilation = pair(dilation, f"{layer}: dilation", 1)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{layer}: groups must be a positive int; got {groups!r}")
    if input.ndim != 4:
        raise ValueError(f"{layer}: input must be 4-D (N, C, H, W); got shape {input.shape}"
                         + (" (add a batch axis: x.unsqueeze(0))" if input.ndim == 3 else ""))
    if weight.ndim != 4:
        raise ValueError(f"{layer}: weight must be 4-D (K, C/groups, R, S); got shape {weight.shape}")
    n, c, h, w = input.shape
    k, cg, r, s = weight.shape
    if h == 0 or w == 0:  # padding would make an image out of nothing; torch refuses too
        raise ValueError(f"{layer}: input must have non-empty H and W (only N may be 0); "
                         f"got shape {input.shape}")
    if c % groups or k % groups:
        raise ValueError(f"{layer}: in_channels ({c}) and out_channels ({k}) must both be "
                         f"divisible by groups ({groups})")
    if cg * groups != c:
        raise ValueError(f"{layer}: input has {c} channels (shape {input.shape}) but weight "
                         f"{weight.shape} with groups={groups} expects (N, {cg * groups}, H, W)")
    if bias is not None and tuple(bias.shape) != (k,):
        raise ValueError(f"{layer}: bias must have shape ({k},); got {bias.shape}")
    padding = check_padding(padding, stride, layer)
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        (top, bottom), (left, right) = _same_padding((r, s), dilation)
        if (top, left) != (bottom, right):  # asymmetric: pad explicitly, as PyTorch
            input = pad_op(input, (left, right, top, bottom))
            n, c, h, w = input.shape
            padding = (0, 0)
        else:
            padding = (top, left)
    p = output_size(h, r, stride[0], padding[0], dilation[0])
    q = output_size(w, s, stride[1], padding[1], dilation[1])
    if p < 1 or q < 1:
        raise ValueError(f"{layer}: output would be empty: input {input.shape} (padded by "
                         f"{padding}) is smaller than the dilated kernel "
                         f"({dilation[0] * (r - 1) + 1}, {dilation[1] * (s - 1) + 1})")
    if input.dtype.kind != "f":
        raise TypeError(f"{layer}: input must be floating point; got dtype {input.dtype}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            raise TypeError(f"{layer}: input dtype {input.dtype} differs from {name} dtype "
                            f"{t.dtype}; cast one with .to(...)")

    be, xp = input.backend, input.backend.xp
    x_shape, w_shape = input.shape, weight.shape
    if n == 0:  # an empty batch, as PyTorch: an empty output, zero gradients
        def empty_backward(g):
            return (xp.zeros(input.data.shape, dtype=g.dtype), xp.zeros_like(weight.data),
                    None if bias is None else xp.zeros_like(bias.data))
        return record(xp.zeros((0, k, p, q), dtype=input.data.dtype), (input, weight, bias),
                      empty_backward)
    y = be.conv2d_forward(input.data, weight.data, None if bias is None else bias.data,
                          stride, padding, dilation, groups)

    def backward(g):
        gx = gw = gb = None
        if input.requires_grad:
            gx = be.conv2d_backward_data(g, weight.data, x_shape, stride, padding, dilation, groups)
        if weight.requires_grad:
            gw = be.conv2d_backward_filter(g, input.data, w_shape, stride, padding, dilation,
                                           groups)
        if bias is not None and bias.requires_grad:
            gb = xp.sum(g, axis=(0, 2, 3))
        return gx, gw, gb
    return record(y, (input, weight, bias), backward)
