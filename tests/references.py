"""Independent reference implementations for tests: plain loops over output positions, float64.

Slow by design and written straight from the definitions, so they share no
code (and no bugs) with the vectorized implementations under test.
"""
import numpy


def conv2d_ref(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """``y[n,k,p,q] = b[k] + sum_{c,r,s} x[n, g*Cg + c, p*sh - ph + r*dh, q*sw - pw + s*dw] w[k,c,r,s]``."""
    x, w = numpy.asarray(x, numpy.float64), numpy.asarray(w, numpy.float64)
    n_, c_, h_, w_ = x.shape
    k_, cg, r_, s_ = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    p_ = (h_ + 2 * ph - dh * (r_ - 1) - 1) // sh + 1
    q_ = (w_ + 2 * pw - dw * (s_ - 1) - 1) // sw + 1
    kg = k_ // groups
    y = numpy.zeros((n_, k_, p_, q_))
    for n in range(n_):
        for k in range(k_):
            g = k // kg
            for p in range(p_):
                for q in range(q_):
                    acc = 0.0 if b is None else float(b[k])
                    for c in range(cg):
                        for r in range(r_):
                            for s in range(s_):
                                hi, wi = p * sh - ph + r * dh, q * sw - pw + s * dw
                                if 0 <= hi < h_ and 0 <= wi < w_:
                                    acc += x[n, g * cg + c, hi, wi] * w[k, c, r, s]
                    y[n, k, p, q] = acc
    return y


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
