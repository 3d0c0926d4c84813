"""2-D pooling over (N, C, H, W): max, average, adaptive average.

Written once against the Array API: a window of size (R, S) is visited as
R*S strided slices of the (padded) input, one per kernel offset, so the work
is whole-array operations with a short loop over kernel offsets, never over
pixels.  Output size along H: ``P = (H + 2 ph - (R - 1) - 1) // sh + 1``.

Gradients: max pooling routes each output's gradient to the first maximal
element of its window (PyTorch's choice at ties); average pooling spreads it
evenly over the window.
"""
from __future__ import annotations

import operator

from ...autograd.function import as_tensors, record
from ...backend.conv_geometry import output_size
from .conv import pair


def _window_slices(kernel, stride, out):
    """For every kernel offset (r, s): the (H, W) slices picking that element of every window."""
    (r_, s_), (sh, sw), (p, q) = kernel, stride, out
    return [(slice(r, r + sh * (p - 1) + 1, sh), slice(s, s + sw * (q - 1) + 1, sw))
            for r in range(r_) for s in range(s_)]


def _fold(combine, x, slices):
    """``combine`` the windows' elements at every kernel offset: (N, C, P, Q) from (N, C, H', W')."""
    acc = None
    for hs, ws in slices:
        acc = x[:, :, hs, ws] if acc is None else combine(acc, x[:, :, hs, ws])
    return acc


def _checked_input(input, layer):
    """``input`` as a Tensor, checked as torch does: 4-D, floating, only N may be 0."""
    input, = as_tensors(input)
    if input.ndim != 4:
        raise ValueError(f"{layer}: input must be 4-D (N, C, H, W); got shape {input.shape}")
    if input.dtype.kind != "f":
        raise TypeError(f"{layer}: input must be floating point; got dtype {input.dtype} "
                        f"(convert with .float())")
    if 0 in input.shape[1:]:
        raise ValueError(f"{layer}: input must have non-empty C, H and W (only the batch axis "
                         f"may be 0); got shape {input.shape}")
    return input


def _prepare(input, kernel_size, stride, padding, layer):
    input = _checked_input(input, layer)
    kernel = pair(kernel_size, f"{layer}: kernel_size", 1)
    stride = kernel if stride is None else pair(stride, f"{layer}: stride", 1)
    padding = pair(padding, f"{layer}: padding", 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{layer}: padding must be at most half the kernel size "
                         f"{kernel}; got {padding}")
    h, w = input.shape[2:]
    out = (output_size(h, kernel[0], stride[0], padding[0], 1),
           output_size(w, kernel[1], stride[1], padding[1], 1))
    if out[0] < 1 or out[1] < 1:
        raise ValueError(f"{layer}: output would be empty: input {input.shape} with kernel "
                         f"{kernel} and padding {padding}")
    return input, kernel, stride, padding, out


def _padded(xp, data, padding, fill):
    ph, pw = padding
    if not (ph or pw):
        return data
    n, c, h, w = data.shape
    out = xp.full((n, c, h + 2 * ph, w + 2 * pw), fill, dtype=data.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = data
    return out


def _unpadded(data, padding):
    ph, pw = padding
    h, w = data.shape[2] - 2 * ph, data.shape[3] - 2 * pw
    return data[:, :, ph:ph + h, pw:pw + w]


def max_pool2d(input, kernel_size, stride=None, padding=0, layer="max_pool2d"):
    """Largest value of each (R, S) window (padding counts as -inf), as ``torch.nn.functional.max_pool2d``.

    input: (N, C, H, W); kernel_size, stride (default: kernel_size), padding: int or pair.
    Returns (N, C, P, Q).  NaN in a window propagates.

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> x = xpnet.arange(16, dtype="float32").reshape(1, 1, 4, 4)
    >>> F.max_pool2d(x, 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]

    See also: :class:`xpnet.nn.MaxPool2d`, :func:`avg_pool2d`.
    """
    input, kernel, stride, padding, out = _prepare(input, kernel_size, stride, padding, layer)
    xp = input.backend.xp
    x = _padded(xp, input.data, padding, -float("inf"))
    slices = _window_slices(kernel, stride, out)
    overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
    best = _fold(xp.maximum, x, slices)

    def backward(g):
        # each window's gradient goes to its first maximal element (PyTorch's
        # choice at ties, e.g. all-zero windows after a ReLU); masks and
        # products instead of where(): a data-dependent select is several times
        # slower in NumPy
        gx = xp.zeros(x.shape, dtype=g.dtype)
        taken = xp.zeros(best.shape, dtype=xp.bool)
        for hs, ws in slices:
            first = (x[:, :, hs, ws] == best) & ~taken
            taken = taken | first
            share = g * xp.astype(first, g.dtype)
            # windows that do not overlap write disjoint slices: no read-add needed
            gx[:, :, hs, ws] = gx[:, :, hs, ws] + share if overlapping else share
        return (_unpadded(gx, padding),)
    return record(best, (input,), backward)


def avg_pool2d(input, kernel_size, stride=None, padding=0, count_include_pad=True,
               layer="avg_pool2d"):
    """Mean of each (R, S) window, as ``torch.nn.functional.avg_pool2d``.

    With ``count_include_pad=True`` (PyTorch's default) padded zeros count in
    the divisor R*S; otherwise each window divides by its number of real pixels.
    input: (N, C, H, W); kernel_size, stride (default: kernel_size), padding:
    int or pair.  Returns (N, C, P, Q).

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> x = xpnet.arange(16, dtype="float32").reshape(1, 1, 4, 4)
    >>> F.avg_pool2d(x, 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]

    See also: :class:`xpnet.nn.AvgPool2d`, :func:`adaptive_avg_pool2d`.
    """
    input, kernel, stride, padding, out = _prepare(input, kernel_size, stride, padding, layer)
    xp = input.backend.xp
    x = _padded(xp, input.data, padding, 0.0)
    slices = _window_slices(kernel, stride, out)
    total = _fold(operator.add, x, slices)
    if count_include_pad or padding == (0, 0):
        divisor = float(kernel[0] * kernel[1])
    else:  # count the real pixels of each window: pool a map of ones
        ones = _padded(xp, xp.ones((1, 1) + tuple(input.shape[2:]), dtype=x.dtype), padding, 0.0)
        divisor = _fold(operator.add, ones, slices)
    y = total / divisor

    def backward(g):
        share = g / divisor
        gx = xp.zeros(x.shape, dtype=g.dtype)
        for hs, ws in slices:
            gx[:, :, hs, ws] = gx[:, :, hs, ws] + share
        return (_unpadded(gx, padding),)
    return record(y, (input,), backward)


def adaptive_avg_pool2d(input, output_size, layer="adaptive_avg_pool2d"):
    """Average pooling to a fixed output size, as ``torch.nn.functional.adaptive_avg_pool2d``.

    Output cell ``i`` along H averages rows ``floor(i H / P)`` to ``ceil((i + 1) H / P) - 1``
    (likewise along W).  ``output_size=1`` is global average pooling.
    input: (N, C, H, W); output_size: int or (P, Q).  Returns (N, C, P, Q).

    >>> import xpnet
    >>> import xpnet.nn.functional as F
    >>> x = xpnet.arange(16, dtype="float32").reshape(1, 1, 4, 4)
    >>> F.adaptive_avg_pool2d(x, 1).tolist(), F.adaptive_avg_pool2d(x, (3, 2)).shape
    ([[[[7.5]]]], (1, 1, 3, 2))

    See also: :class:`xpnet.nn.AdaptiveAvgPool2d`, :func:`avg_pool2d`.
    """
    input = _checked_input(input, layer)
    p, q = pair(output_size, f"{layer}: output_size", 1)
    h, w = input.shape[2:]
    xp = input.backend.xp
    if (p, q) == (1, 1):  # global average pooling: one reduction
        y = xp.mean(input.data, axis=(2, 3), keepdims=True)
        return record(y, (input,), lambda g: (xp.broadcast_to(g / (h * w), input.shape),))
    rows = [(i * h // p, -(-(i + 1) * h // p)) for i in range(p)]
    cols = [(j * w // q, -(-(j + 1) * w // q)) for j in range(q)]
    # one reduction per output cell; output sizes of adaptive pooling are small
    cells = [[xp.mean(input.data[:, :, r0:r1, c0:c1], axis=(2, 3)) for c0, c1 in cols]
             for r0, r1 in rows]
    y = xp.stack([xp.stack(row, axis=-1) for row in cells], axis=-2)

    def backward(g):
        gx = xp.zeros(input.shape, dtype=g.dtype)
        for i, (r0, r1) in enumerate(rows):
            for j, (c0, c1) in enumerate(cols):
                share = g[:, :, i:i + 1, j:j + 1] / ((r1 - r0) * (c1 - c0))
                gx[:, :, r0:r1, c0:c1] = gx[:, :, r0:r1, c0:c1] + share
        return (gx,)
    return record(y, (input,), backward)
