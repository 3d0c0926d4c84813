"""Independent reference implementations for tests, float64.

Slow by design and written straight from the definitions, so they share no
code (and no bugs) with the implementations under test (NumPy backend and CUDA
kernels alike); the
convolutions loop over kernel taps and vectorize over batch, channels and
the output positions each tap reaches.
"""
import numpy


def conv2d_out_size(x_shape, w_shape, stride, padding, dilation):
    """(P, Q): ``(H + 2 ph - dh (R - 1) - 1) // sh + 1`` and likewise along W."""
    H, W = x_shape[2:]
    R, S = w_shape[2:]
    return ((H + 2 * padding[0] - dilation[0] * (R - 1) - 1) // stride[0] + 1,
            (W + 2 * padding[1] - dilation[1] * (S - 1) - 1) // stride[1] + 1)


def _taps(x_shape, w_shape, stride, padding, dilation):
    """For each kernel tap (r, s): the output rows/cols whose input lies inside the
    image, and those input rows/cols (for a fixed tap, p -> h is one-to-one)."""
    H, W = x_shape[2:]
    R, S = w_shape[2:]
    P, Q = conv2d_out_size(x_shape, w_shape, stride, padding, dilation)
    for r in range(R):
        h = numpy.arange(P) * stride[0] - padding[0] + r * dilation[0]
        pv = (h >= 0) & (h < H)
        for s in range(S):
            w = numpy.arange(Q) * stride[1] - padding[1] + s * dilation[1]
            qv = (w >= 0) & (w < W)
            yield r, s, numpy.flatnonzero(pv), h[pv], numpy.flatnonzero(qv), w[qv]


def conv2d_ref(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """``y[n,k,p,q] = b[k] + sum_{c,r,s} x[n, g*Cg + c, p*sh - ph + r*dh, q*sw - pw + s*dw] w[k,c,r,s]``."""
    x, w = numpy.asarray(x, numpy.float64), numpy.asarray(w, numpy.float64)
    N, K, Cg = x.shape[0], w.shape[0], w.shape[1]
    Kg = K // groups
    y = numpy.zeros((N, K) + conv2d_out_size(x.shape, w.shape, stride, padding, dilation))
    for r, s, p, h, q, ww in _taps(x.shape, w.shape, stride, padding, dilation):
        for g in range(groups):
            xs = x[:, g * Cg:(g + 1) * Cg][:, :, h][:, :, :, ww]                 # (N, Cg, p, q)
            y[:, g * Kg:(g + 1) * Kg, p[:, None], q] += numpy.einsum(
                "ncpq,kc->nkpq", xs, w[g * Kg:(g + 1) * Kg, :, r, s])
    return y if b is None else y + numpy.asarray(b, numpy.float64).reshape(-1, 1, 1)


def conv2d_backward_data_ref(dy, w, x_shape, stride, padding, dilation, groups):
    """``dx[n, g*Cg + c, h, w] = sum dy[n, k, p, q] w[k, c, r, s]`` over the taps meeting at (h, w)."""
    dy, w = numpy.asarray(dy, numpy.float64), numpy.asarray(w, numpy.float64)
    Cg, Kg = w.shape[1], w.shape[0] // groups
    dx = numpy.zeros(x_shape)
    for r, s, p, h, q, ww in _taps(x_shape, w.shape, stride, padding, dilation):
        for g in range(groups):
            dx[:, g * Cg:(g + 1) * Cg, h[:, None], ww] += numpy.einsum(
                "nkpq,kc->ncpq", dy[:, g * Kg:(g + 1) * Kg][:, :, p][:, :, :, q],
                w[g * Kg:(g + 1) * Kg, :, r, s])
    return dx


def conv2d_backward_filter_ref(dy, x, w_shape, stride, padding, dilation, groups):
    """``dw[k, c, r, s] = sum_{n, p, q} dy[n, k, p, q] x[n, g*Cg + c, h, w]`` over the in-range taps."""
    dy, x = numpy.asarray(dy, numpy.float64), numpy.asarray(x, numpy.float64)
    Cg, Kg = w_shape[1], w_shape[0] // groups
    dw = numpy.zeros(w_shape)
    for r, s, p, h, q, ww in _taps(x.shape, w_shape, stride, padding, dilation):
        for g in range(groups):
            dw[g * Kg:(g + 1) * Kg, :, r, s] = numpy.einsum(
                "nkpq,ncpq->kc", dy[:, g * Kg:(g + 1) * Kg][:, :, p][:, :, :, q],
                x[:, g * Cg:(g + 1) * Cg][:, :, h][:, :, :, ww])
    return dw


def pool2d_ref(x, kernel, stride, padding, reduce, count_include_pad=True):
    """Max or mean over each window; padding is -inf for max, 0 (counted or not) for mean."""
    x = numpy.asarray(x, numpy.float64)
    n_, c_, h_, w_ = x.shape
    (r_, s_), (sh, sw), (ph, pw) = kernel, stride, padding
    p_, q_ = conv2d_out_size(x.shape, (c_, c_, r_, s_), stride, padding, (1, 1))
    y = numpy.zeros((n_, c_, p_, q_))
    for n in range(n_):
        for c in range(c_):
            for p in range(p_):
                for q in range(q_):
                    vals, cells = [], 0
                    for r in range(r_):
                        for s in range(s_):
                            hi, wi = p * sh - ph + r, q * sw - pw + s
                            cells += 1
                            if 0 <= hi < h_ and 0 <= wi < w_:
                                vals.append(x[n, c, hi, wi])
                    if reduce == "max":
                        y[n, c, p, q] = max(vals)
                    else:
                        y[n, c, p, q] = sum(vals) / (cells if count_include_pad else len(vals))
    return y


def batch_norm_ref(x, weight, bias, eps):
    """Training-mode batch norm per channel over all axes but 1: (y, mean, biased var)."""
    x = numpy.asarray(x, numpy.float64)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes)
    var = ((x - mean.reshape(shape)) ** 2).mean(axis=axes)
    y = (x - mean.reshape(shape)) / numpy.sqrt(var.reshape(shape) + eps)
    if weight is not None:
        y = y * numpy.asarray(weight, numpy.float64).reshape(shape)
    if bias is not None:
        y = y + numpy.asarray(bias, numpy.float64).reshape(shape)
    return y, mean, var
