"""Independent reference implementations for tests: loops over output (and kernel) positions, float64.

Slow by design and written straight from the definitions, so they share no
code (and no bugs) with the vectorized implementations under test; the
convolutions loop over output and kernel positions and vectorize only over
batch and channels.
"""
import numpy


def _conv_taps(x_shape, w_shape, stride, padding, dilation):
    """Every (p, q, r, s, hi, wi): output position, kernel offset and the in-range input
    position they meet at; and the output size (P, Q)."""
    _, _, H, W = x_shape
    _, _, R, S = w_shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    P = (H + 2 * ph - dh * (R - 1) - 1) // sh + 1
    Q = (W + 2 * pw - dw * (S - 1) - 1) // sw + 1
    taps = [(p, q, r, s, p * sh - ph + r * dh, q * sw - pw + s * dw)
            for p in range(P) for q in range(Q) for r in range(R) for s in range(S)]
    return [t for t in taps if 0 <= t[4] < H and 0 <= t[5] < W], P, Q


def conv2d_ref(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """``y[n,k,p,q] = b[k] + sum_{c,r,s} x[n, g*Cg + c, p*sh - ph + r*dh, q*sw - pw + s*dw] w[k,c,r,s]``."""
    x, w = numpy.asarray(x, numpy.float64), numpy.asarray(w, numpy.float64)
    taps, P, Q = _conv_taps(x.shape, w.shape, stride, padding, dilation)
    N, K, Cg = x.shape[0], w.shape[0], w.shape[1]
    Kg = K // groups
    y = numpy.zeros((N, K, P, Q))
    for p, q, r, s, hi, wi in taps:
        for g in range(groups):
            y[:, g * Kg:(g + 1) * Kg, p, q] += x[:, g * Cg:(g + 1) * Cg, hi, wi] @ w[g * Kg:(g + 1) * Kg, :, r, s].T
    return y if b is None else y + numpy.asarray(b, numpy.float64).reshape(-1, 1, 1)


def conv2d_backward_data_ref(dy, w, x_shape, stride, padding, dilation, groups):
    """``dx[n, g*Cg + c, hi, wi] = sum dy[n, k, p, q] w[k, c, r, s]`` over the taps meeting at (hi, wi)."""
    dy, w = numpy.asarray(dy, numpy.float64), numpy.asarray(w, numpy.float64)
    taps, _, _ = _conv_taps(x_shape, w.shape, stride, padding, dilation)
    Cg, Kg = w.shape[1], w.shape[0] // groups
    dx = numpy.zeros(x_shape)
    for p, q, r, s, hi, wi in taps:
        for g in range(groups):
            dx[:, g * Cg:(g + 1) * Cg, hi, wi] += dy[:, g * Kg:(g + 1) * Kg, p, q] @ w[g * Kg:(g + 1) * Kg, :, r, s]
    return dx


def conv2d_backward_filter_ref(dy, x, w_shape, stride, padding, dilation, groups):
    """``dw[k, c, r, s] = sum_{n, p, q} dy[n, k, p, q] x[n, g*Cg + c, hi, wi]`` over the in-range taps."""
    dy, x = numpy.asarray(dy, numpy.float64), numpy.asarray(x, numpy.float64)
    taps, _, _ = _conv_taps(x.shape, w_shape, stride, padding, dilation)
    Cg, Kg = w_shape[1], w_shape[0] // groups
    dw = numpy.zeros(w_shape)
    for p, q, r, s, hi, wi in taps:
        for g in range(groups):
            dw[g * Kg:(g + 1) * Kg, :, r, s] += dy[:, g * Kg:(g + 1) * Kg, p, q].T @ x[:, g * Cg:(g + 1) * Cg, hi, wi]
    return dw


def pool2d_ref(x, kernel, stride, padding, reduce, count_include_pad=True):
    """Max or mean over each window; padding is -inf for max, 0 (counted or not) for mean."""
    x = numpy.asarray(x, numpy.float64)
    n_, c_, h_, w_ = x.shape
    (r_, s_), (sh, sw), (ph, pw) = kernel, stride, padding
    p_ = (h_ + 2 * ph - r_) // sh + 1
    q_ = (w_ + 2 * pw - s_) // sw + 1
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
