"""2-D convolution for the NumPy backend: im2col + one BLAS GEMM per batch chunk.

Forward (cross-correlation, as ``torch.nn.functional.conv2d``)::

    y[n, k, p, q] = bias[k] + sum_{c, r, s} xpad[n, g*Cg + c, p*sh + r*dh, q*sw + s*dw] * w[k, c, r, s]

is computed per group ``g`` as the matrix product ``W_g (Kg, Cg*R*S) @ cols_g
(Cg*R*S, m*L)`` where ``cols`` holds, for every kernel offset ``(r, s)``, the
shifted input window of a chunk of ``m`` images (the im2col matrix, rows
ordered ``(c, r, s)`` like ``weight.reshape(K, -1)``).

How the work is laid out
------------------------
* The batch is processed in chunks of ``m`` images whose im2col matrix is about
  ``_CHUNK_BYTES``: the matrix is written and read back while it is still in
  cache, and every chunk is one large GEMM (a Python loop over chunks, never
  over images or pixels).
* ``cols`` is filled by ``R*S`` shifted slice copies (one NumPy copy per
  kernel offset covering all channels and images of the chunk) into a
  buffer allocated once.
* Stride 1 uses the "wide row" layout: outputs are computed for all ``Wp``
  padded columns of a row instead of the ``Q`` valid ones, so each window is a
  single contiguous run ``xpad_flat[n, c, r*dh*Wp + s*dw : ... + P*Wp]`` and the
  copies run at memcpy speed.  The ``Wp - Q`` extra columns are dropped when
  the chunk is written to ``y`` (in the same pass that moves the chunk from
  ``(K, m, ...)`` to ``(m, K, ...)``).  Used only when the waste ``(Wp - Q) / Q``
  is small.
* The bias: with one group the GEMM adds it (the bias as one more weight
  column, a row of ones under the columns); with groups it is added in the
  pass that moves the chunk into ``y``.
* 1x1 kernels with stride 1 and no padding skip im2col: ``y[n] = W @ x[n]`` as
  one batched matmul.
* Short reductions (``C*R*S <= K``, one group, padding >= 0, e.g. a first
  layer on grey-scale images) use an image-major im2col ``(m, C*R*S, P*Q)`` and
  batched matmuls: the forward writes ``y`` in place, the weight gradient
  reads ``dy`` in place: the output is the largest array there and the
  (K, m, ...) <-> (m, K, ...) copy would cost more than the GEMM (measured on
  64x1x28x28, K=32: 0.5 ms instead of 0.9 ms).
* Gradients: ``dW_g = dy_g (Kg, m*L) @ cols_g^T`` summed over chunks; ``dx``
  of a 1x1 kernel is ``W^T @ dy[n]`` (one batched matmul), with stride 1 the
  full correlation of ``dy`` with the flipped, transposed weight (the forward
  again), otherwise (and for short reductions) a GEMM into columns followed by
  col2im (``R*S`` shifted strided slice adds).

All GEMMs run in the input dtype (float32 stays float32).
"""
from __future__ import annotations

import threading
from typing import NamedTuple, Optional, Sequence

import numpy

from numpy.lib.stride_tricks import as_strided

from .conv_geometry import conv_geometry

#: target size of one chunk's im2col matrix: small enough to stay in L2/L3 cache
#: while the GEMM reads it back, large enough for an efficient GEMM (measured on
#: the 2-core AVX2 machine: 2-4 MB is the plateau; ``xpnet bench --filter op``).
_CHUNK_BYTES = 3 << 20
#: use the wide-row layout when it computes at most this fraction of extra columns
_MAX_WIDE_WASTE = 0.34
#: scratch buffers larger than this are not kept between calls (huge single images)
_MAX_CACHED_BYTES = 64 << 20


_workspace = threading.local()


def _scratch(slot: str, shape, dtype, zero: bool = False):
    """A C-contiguous scratch array of ``shape`` from a per-thread buffer reused across calls.

    Reusing the same (already mapped, cache-warm) memory on every call matters:
    fresh multi-megabyte temporaries cost one page fault per 4 KiB on first
    touch, which on the reference VM was as slow as the GEMM itself.  Buffers
    only grow (up to ``_MAX_CACHED_BYTES``); :func:`release_workspace` frees them.
    """
    dtype = numpy.dtype(dtype)
    nbytes = int(numpy.prod(shape)) * dtype.itemsize
    buffers = _workspace.__dict__.setdefault("buffers", {})
    buf = buffers.get(slot)
    if buf is None or buf.nbytes < nbytes:
        buf = numpy.empty(max(nbytes, 64), dtype=numpy.uint8)
        if nbytes <= _MAX_CACHED_BYTES:
            buffers[slot] = buf
    out = buf[:nbytes].view(dtype).reshape(shape)
    if zero:
        out.fill(0)
    return out


def release_workspace() -> None:
    """Free this thread's cached convolution scratch buffers."""
    _workspace.__dict__.pop("buffers", None)


class _Geom(NamedTuple):
    """Sizes of one convolution; ``pad`` is (top, bottom, left, right), may be negative."""
    N: int
    C: int
    H: int
    W: int
    K: int
    G: int
    R: int
    S: int
    sh: int
    sw: int
    dh: int
    dw: int
    pad: tuple
    P: int
    Q: int

    @property
    def Hp(self):
        return self.H + self.pad[0] + self.pad[1]

    @property
    def Wp(self):
        return self.W + self.pad[2] + self.pad[3]

    @property
    def wide(self):
        """Stride-1 wide-row layout: each output row is ``Wp`` long (``Q`` valid)."""
        return (self.sh == 1 and self.sw == 1
                and (self.Wp - self.Q) <= _MAX_WIDE_WASTE * self.Q)

    @property
    def row(self):
        """Length of one output row in the column matrix (``Wp`` if wide, else ``Q``)."""
        return self.Wp if self.wide else self.Q

    @property
    def is_pointwise(self):
        return (self.R == 1 and self.S == 1 and self.sh == 1 and self.sw == 1
                and self.pad == (0, 0, 0, 0))


# ---------------------------------------------------------------------- #
# validation
# ---------------------------------------------------------------------- #
def _check_float(name, a):
    if not isinstance(a, numpy.ndarray) or a.dtype not in (numpy.float32, numpy.float64):
        raise TypeError(f"{name} must be a float32 or float64 numpy array; got "
                        f"{type(a).__name__} with dtype {getattr(a, 'dtype', None)}")


def _geometry(x_shape, w_shape, stride, padding, dilation, groups) -> _Geom:
    """Check a conv2d configuration (:func:`conv_geometry`) and return its sizes."""
    c = conv_geometry(x_shape, w_shape, stride, padding, dilation, groups)
    return _Geom(c.N, c.C, c.H, c.W, c.K, c.groups, c.R, c.S, c.sh, c.sw, c.dh, c.dw,
                 (c.ph, c.ph, c.pw, c.pw), c.P, c.Q)


def _check_grad_out(grad_out, g: _Geom):
    expected = (g.N, g.K, g.P, g.Q)
    if tuple(grad_out.shape) != expected:
        raise ValueError(f"grad_out must have shape (N, K, P, Q) = {expected}; got "
                         f"{tuple(grad_out.shape)}")


# ---------------------------------------------------------------------- #
# building blocks (all operate on one chunk of images)
# ---------------------------------------------------------------------- #
def _images_per_chunk(N: int, bytes_per_image: int) -> int:
    """How many of the ``N`` images make a column matrix of about ``_CHUNK_BYTES``."""
    return int(min(N, max(1, _CHUNK_BYTES // max(bytes_per_image, 1))))


def _chunk_size(g: _Geom, itemsize: int) -> int:
    """Images per chunk of the im2col paths: ``C*R*S`` rows of ``P*row`` per image."""
    return _images_per_chunk(g.N, g.C * g.R * g.S * g.P * g.row * itemsize)


def _padded_buffer(g: _Geom, m: int, dtype):
    """Zeroed (m, C, Hp, Wp) buffer plus its flat (m, C, Hp*Wp + tail) view.

    The tail of ``(S-1)*dw`` zeros lets the last wide-row window run past the
    final padded row.  Only the interior is rewritten per chunk, so the border
    stays zero.
    """
    tail = (g.S - 1) * g.dw if g.wide else 0
    flat = _scratch("pad", (m, g.C, g.Hp * g.Wp + tail), dtype, zero=True)
    return flat[:, :, :g.Hp * g.Wp].reshape(m, g.C, g.Hp, g.Wp), flat


def _fill_padded(xpad, x_chunk, g: _Geom):
    """Copy ``x_chunk`` (m, C, H, W) into the interior of ``xpad``; negative pads crop."""
    top, bottom, left, right = g.pad
    src = x_chunk[:, :, max(0, -top):g.H - max(0, -bottom), max(0, -left):g.W - max(0, -right)]
    xpad[:, :, max(0, top):max(0, top) + src.shape[2],
         max(0, left):max(0, left) + src.shape[3]] = src


def _window(xpad, g: _Geom, r: int, s: int):
    """View of the inputs kernel offset (r, s) multiplies: (m, C, P, Q) (strided)."""
    h0, w0 = r * g.dh, s * g.dw
    return xpad[:, :, h0:h0 + g.sh * (g.P - 1) + 1:g.sh, w0:w0 + g.sw * (g.Q - 1) + 1:g.sw]


def _im2col(cols, xflat, g: _Geom):
    """Fill ``cols`` (C, R, S, m, P*row) with the R*S shifted windows of the chunk.

    One strided copy: a read-only ``as_strided`` view of the padded chunk
    ``xflat`` (m, C, Hp*Wp + tail) whose axes are (c, r, s, n, position) and
    whose every index stays inside the buffer.  Wide rows make ``position`` a
    single contiguous run (memcpy speed); otherwise it is (p, q) with strides
    ``(sh*Wp, sw)``.
    """
    m = xflat.shape[0]
    it = xflat.itemsize
    sn, sc = xflat.strides[0], xflat.strides[1]
    rs = (g.dh * g.Wp * it, g.dw * it)
    if g.wide:
        shape, pos = (g.P * g.Wp,), (it,)
    else:
        shape, pos = (g.P, g.Q), (g.sh * g.Wp * it, g.sw * it)
    src = as_strided(xflat, shape=(g.C, g.R, g.S, m) + shape,
                     strides=(sc,) + rs + (sn,) + pos, writeable=False)
    numpy.copyto(cols.reshape(src.shape), src)


def _grouped_matmul(a, b, out, G: int):
    """``out = a @ b`` where the leading row block of each operand belongs to one group.

    a: (G*A, B) or (G, A, B); b: (G*B', ...) reshaped to (G, B, L); out: (G*A, L).
    """
    if G == 1:
        numpy.matmul(a.reshape(out.shape[0], -1), b.reshape(-1, out.shape[1]), out=out)
    else:
        numpy.matmul(a.reshape(G, out.shape[0] // G, -1), b.reshape(G, -1, out.shape[1]),
                     out=out.reshape(G, out.shape[0] // G, out.shape[1]))


def _front(storage, shape):
    """A C-contiguous array of ``shape`` on the front of the flat buffer ``storage``."""
    return storage[:int(numpy.prod(shape))].reshape(shape)


def _check_same_dtype(x, x_name, w, w_name):
    if w.dtype != x.dtype:
        raise TypeError(f"{w_name} dtype ({w.dtype}) must equal {x_name} dtype ({x.dtype})")


# ---------------------------------------------------------------------- #
# the three ops
# ---------------------------------------------------------------------- #
def _forward(x, weight, bias, g: _Geom):
    """Correlation for validated geometry ``g`` (padding may be negative = crop)."""
    dtype = x.dtype
    y = numpy.empty((g.N, g.K, g.P, g.Q), dtype=dtype)
    if g.is_pointwise:  # y[n] = W (K, C) @ x[n] (C, H*W), one batched matmul
        xs = numpy.ascontiguousarray(x).reshape(g.N, g.G, g.C // g.G, g.H * g.W)
        w3 = numpy.ascontiguousarray(weight).reshape(g.G, g.K // g.G, g.C // g.G)
        numpy.matmul(w3, xs, out=y.reshape(g.N, g.G, g.K // g.G, g.P * g.Q))
        if bias is not None:
            y += bias.reshape(g.K, 1, 1)
        return y
    m = _chunk_size(g, dtype.itemsize)
    L = g.P * g.row
    crs = g.C * g.R * g.S
    w2 = numpy.ascontiguousarray(weight).reshape(g.K, -1)
    # one group: the GEMM adds the bias (a column of w2 times a row of ones in
    # cols), cheaper than a broadcast add during the strided output copy
    fused_bias = bias is not None and g.G == 1
    if fused_bias:
        w2 = numpy.concatenate([w2, bias.reshape(g.K, 1)], axis=1)
    xpad, xflat = _padded_buffer(g, m, dtype)
    cols_store = _scratch("cols", (crs + fused_bias) * m * L, dtype)
    ybuf_store = _scratch("out", g.K * m * L, dtype)
    for n0 in range(0, g.N, m):  # chunks of images, each one GEMM
        c = min(m, g.N - n0)
        xpad, xflat = xpad[:c], xflat[:c]
        cols = _front(cols_store, (g.C, g.R, g.S, c, L))
        ybuf = _front(ybuf_store, (g.K, c * L))
        _fill_padded(xpad, x[n0:n0 + c], g)
        _im2col(cols, xflat, g)
        if fused_bias:
            full = _front(cols_store, (crs + 1, c * L))  # the rows of cols, then ones
            full[crs] = 1
            numpy.matmul(w2, full, out=ybuf)
        else:
            _grouped_matmul(w2, cols, ybuf, g.G)
        src = ybuf.reshape(g.K, c, g.P, g.row)[..., :g.Q].transpose(1, 0, 2, 3)
        if bias is None or fused_bias:
            y[n0:n0 + c] = src
        else:
            numpy.add(src, bias.reshape(g.K, 1, 1), out=y[n0:n0 + c])
    return y


def _image_major_chunks(x, g: _Geom, ones_row: bool = False):
    """Yield ``(n0, cols)`` per chunk: ``cols`` (c, C*R*S, P*Q) is the image-major im2col
    of images ``n0 .. n0 + c`` (one group; padding >= 0), in a reused buffer.

    With ``ones_row`` each image's matrix gets one more row of ones, so a GEMM with
    the bias appended as a weight column adds the bias for free.
    """
    dtype = x.dtype
    crs, L = g.C * g.R * g.S, g.P * g.Q
    rows = crs + ones_row
    m = _images_per_chunk(g.N, rows * L * dtype.itemsize)
    xpad, _ = _padded_buffer(g, m, dtype)
    cols_store = _scratch("cols", m * rows * L, dtype)
    it = dtype.itemsize
    for n0 in range(0, g.N, m):
        c = min(m, g.N - n0)
        xpad = xpad[:c]
        _fill_padded(xpad, x[n0:n0 + c], g)
        sn, sc, sr, _ = xpad.strides
        # (n, c, r, s, p, q) view of the padded chunk; every index stays inside it
        src = as_strided(xpad, shape=(c, g.C, g.R, g.S, g.P, g.Q),
                         strides=(sn, sc, g.dh * sr, g.dw * it, g.sh * sr, g.sw * it),
                         writeable=False)
        cols = _front(cols_store, (c, rows, L))
        numpy.copyto(cols[:, :crs].reshape(src.shape), src)
        if ones_row:
            cols[:, crs] = 1
        yield n0, cols


def _image_major(g: _Geom) -> bool:
    """Short reductions (``C*R*S <= K``, one group): the image-major layout avoids
    moving the output (forward) or ``dy`` (weight gradient) between layouts, which
    there costs more than the GEMM itself."""
    return g.G == 1 and g.C * g.R * g.S <= g.K and min(g.pad) >= 0 and not g.is_pointwise


def _forward_image_major(x, weight, bias, g: _Geom):
    """``y[n] = [W | b] (K, C*R*S + 1) @ [cols[n]; 1] (C*R*S + 1, P*Q)``: batched matmuls
    writing ``y`` in place, the bias added by the GEMM itself."""
    y = numpy.empty((g.N, g.K, g.P, g.Q), dtype=x.dtype)
    w2 = numpy.ascontiguousarray(weight).reshape(g.K, -1)
    if bias is not None:
        w2 = numpy.concatenate([w2, bias.reshape(g.K, 1)], axis=1)
    for n0, cols in _image_major_chunks(x, g, ones_row=bias is not None):
        c = cols.shape[0]
        numpy.matmul(w2, cols, out=y[n0:n0 + c].reshape(c, g.K, g.P * g.Q))
    return y


def _backward_filter_image_major(grad_out, x, g: _Geom):
    """``dW = sum_n dy[n] (K, P*Q) @ cols[n]^T (P*Q, C*R*S)``: batched matmuls, then a sum over n."""
    dw = numpy.zeros((g.K, g.C * g.R * g.S), dtype=x.dtype)
    for n0, cols in _image_major_chunks(x, g):
        c = cols.shape[0]
        dy = grad_out[n0:n0 + c].reshape(c, g.K, g.P * g.Q)
        dw += numpy.matmul(dy, cols.transpose(0, 2, 1)).sum(axis=0)
    return dw


def conv2d_forward(x, weight, bias: Optional[numpy.ndarray], stride, padding, dilation,
                   groups: int):
    """``y = conv2d(x, weight, bias)``; x (N, C, H, W), weight (K, C//groups, R, S) -> (N, K, P, Q).

    See :meth:`xpnet.backend.base.Backend.conv2d_forward` for the formula.
    """
    _check_float("x", x)
    _check_float("weight", weight)
    _check_same_dtype(x, "x", weight, "weight")
    g = _geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    if bias is not None:
        _check_float("bias", bias)
        _check_same_dtype(x, "x", bias, "bias")
        if bias.shape != (g.K,):
            raise ValueError(f"bias must have shape (K,) = ({g.K},); got {bias.shape}")
    if _image_major(g):
        return _forward_image_major(x, weight, bias, g)
    return _forward(x, weight, bias, g)


def conv2d_backward_filter(grad_out, x, weight_shape: Sequence[int], stride, padding,
                           dilation, groups: int):
    """``dW[k, c, r, s] = sum_{n, p, q} dy[n, k, p, q] * xpad[n, g*Cg + c, p*sh + r*dh, q*sw + s*dw]``.

    grad_out (N, K, P, Q), x (N, C, H, W) -> dW with shape ``weight_shape``.
    Note: in the wide-row layout the dropped columns multiply explicit zeros of
    ``dy``, so an ``inf``/``nan`` in ``x`` can also reach neighbouring taps.
    """
    _check_float("grad_out", grad_out)
    _check_float("x", x)
    _check_same_dtype(x, "x", grad_out, "grad_out")
    g = _geometry(x.shape, tuple(weight_shape), stride, padding, dilation, groups)
    _check_grad_out(grad_out, g)
    if _image_major(g):
        return _backward_filter_image_major(grad_out, x, g).reshape(
            tuple(int(v) for v in weight_shape))
    dtype = x.dtype
    m = _chunk_size(g, dtype.itemsize)
    L = g.P * g.row
    G, Kg, CgRS = g.G, g.K // g.G, g.C // g.G * g.R * g.S
    xpad, xflat = _padded_buffer(g, m, dtype)
    cols_store = _scratch("cols", g.C * g.R * g.S * m * L, dtype)
    # dy chunk moved to (K, m, P, row); the wide-row extra columns stay zero
    dyb = _scratch("out", (g.K, m, g.P, g.row), dtype, zero=True)
    dw = numpy.zeros((G, Kg, CgRS), dtype=dtype)
    part = numpy.empty_like(dw)
    for n0 in range(0, g.N, m):
        c = min(m, g.N - n0)
        xpad, xflat = xpad[:c], xflat[:c]
        cols = _front(cols_store, (g.C, g.R, g.S, c, L))
        if c < m:  # short last chunk: a fresh zeroed dy buffer of its shape
            dyb = _scratch("out", (g.K, c, g.P, g.row), dtype, zero=True)
        _fill_padded(xpad, x[n0:n0 + c], g)
        _im2col(cols, xflat, g)
        dyb[..., :g.Q] = grad_out[n0:n0 + c].transpose(1, 0, 2, 3)
        # (G, Kg, c*L) @ (G, c*L, CgRS): BLAS reads the transposed cols in place
        numpy.matmul(dyb.reshape(G, Kg, c * L), cols.reshape(G, CgRS, c * L).transpose(0, 2, 1),
                     out=part)
        dw += part
    return dw.reshape(tuple(int(v) for v in weight_shape))


def _flipped_transposed(weight, G: int):
    """Weight of the adjoint correlation: ``wf[g*Cg + c, k, r, s] = w[g*Kg + k, c, R-1-r, S-1-s]``."""
    K, Cg, R, S = weight.shape
    w5 = weight.reshape(G, K // G, Cg, R, S)[:, :, :, ::-1, ::-1]
    return numpy.ascontiguousarray(w5.transpose(0, 2, 1, 3, 4)).reshape(G * Cg, K // G, R, S)


def _backward_data_col2im(grad_out, weight, g: _Geom):
    """dx via ``dcols = W^T @ dy`` per chunk, then R*S strided slice adds (any stride)."""
    dtype = grad_out.dtype
    m = _chunk_size(g, dtype.itemsize)
    G, Kg, CgRS = g.G, g.K // g.G, g.C // g.G * g.R * g.S
    L = g.P * g.Q
    wt = numpy.ascontiguousarray(weight.reshape(G, Kg, CgRS).transpose(0, 2, 1))
    dx = numpy.empty((g.N, g.C, g.H, g.W), dtype=dtype)
    dxpad = _scratch("pad", (m, g.C, g.Hp, g.Wp), dtype)
    dyb_store = _scratch("out", g.K * m * L, dtype)
    dcols_store = _scratch("cols", g.C * g.R * g.S * m * L, dtype)
    ph, pw = g.pad[0], g.pad[2]
    for n0 in range(0, g.N, m):
        c = min(m, g.N - n0)
        dxpad = dxpad[:c]
        dyb = _front(dyb_store, (g.K, c, g.P, g.Q))
        dcols = _front(dcols_store, (g.C, g.R, g.S, c, g.P, g.Q))
        dyb[...] = grad_out[n0:n0 + c].transpose(1, 0, 2, 3)
        _grouped_matmul(wt, dyb, dcols.reshape(g.C * g.R * g.S, c * L), G)
        dxpad[...] = 0
        for r in range(g.R):
            for s in range(g.S):
                _window(dxpad, g, r, s)[...] += dcols[:, r, s].transpose(1, 0, 2, 3)
        dx[n0:n0 + c] = dxpad[:, :, ph:ph + g.H, pw:pw + g.W]
    return dx


def _backward_data_fullconv(grad_out, weight, g: _Geom):
    """dx for stride 1: correlation of dy, padded by ``(R-1)*dh - ph``, with the flipped weight."""
    eh, ew = (g.R - 1) * g.dh - g.pad[0], (g.S - 1) * g.dw - g.pad[2]
    gf = _Geom(g.N, g.K, g.P, g.Q, g.C, g.G, g.R, g.S, 1, 1, g.dh, g.dw, (eh, eh, ew, ew),
               g.H, g.W)
    return _forward(grad_out, _flipped_transposed(weight, g.G), None, gf)


def conv2d_backward_data(grad_out, weight, input_shape: Sequence[int], stride, padding,
                         dilation, groups: int):
    """``dx[n, c, h, w] = sum dy[n, k, p, q] * w[k, c, r, s]`` over ``p*sh - ph + r*dh = h``, ``q*sw - pw + s*dw = w``.

    grad_out (N, K, P, Q), weight (K, C//groups, R, S) -> dx with shape ``input_shape``.
    """
    _check_float("grad_out", grad_out)
    _check_float("weight", weight)
    _check_same_dtype(grad_out, "grad_out", weight, "weight")
    g = _geometry(tuple(input_shape), weight.shape, stride, padding, dilation, groups)
    _check_grad_out(grad_out, g)
    # stride 1: the full correlation of dy with the flipped weight reuses the fast
    # forward (wide-row im2col, one GEMM per chunk), min of 30 on this machine:
    # 64x32x14x14 K64 3x3 6.8 ms vs 10.0 ms through col2im, 8x64x56x56 21 vs 30 ms.
    # Short reductions (e.g. C=1 first layers) are the exception: there col2im
    # wins (1.3 vs 7.1 ms), as the full correlation would have a single output row.
    # 1x1 kernels: dx[n] = W^T @ dy[n], one batched matmul, no columns at all.
    if g.is_pointwise or (g.sh == 1 and g.sw == 1 and not _image_major(g)):
        return _backward_data_fullconv(grad_out, weight, g)
    return _backward_data_col2im(grad_out, weight, g)
