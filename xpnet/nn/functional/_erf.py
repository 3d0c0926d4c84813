"""The error function on raw arrays, from Array API standard functions only.

The Array API has no ``erf``, so GELU (exact form) needs a portable one.  This
follows W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
approximations for the error function", Math. Comp. 23 (1969) 631-638; the
coefficients of his SPECFUN routine CALERF), which are good to about 18
significant digits, i.e. to rounding in float64.  Narrower float inputs are
evaluated in float64 and rounded back once, so float32 results are within
half an ulp plus 1e-15 (evaluated in float32 arithmetic the 8/8-degree Horner
sums reach ~6 ulps).  Three intervals of ``y = |x|``:

* ``y <= 0.46875``:   ``erf(x)  = x * A(y^2) / B(y^2)``
* ``0.46875 < y <= 4``: ``erfc(y) = exp(-y^2) * C(y) / D(y)``
* ``y > 4``:          ``erfc(y) = exp(-y^2) / y * (1/sqrt(pi) - z P(z) / Q(z))``, ``z = 1/y^2``

``exp(-y^2)`` is evaluated as ``exp(-t^2) * exp(-(y - t)(y + t))`` with ``t =
trunc(16 y) / 16`` (``t^2`` is exact), so the rounding error of ``y^2`` is not
amplified by ``y^2`` in the tail: ``erfc`` keeps its *relative* accuracy down
to underflow (``y ~ 26.5`` in float64, ``~ 9.2`` in float32).

Every interval is evaluated on the whole array (there is no data-dependent
control flow on a GPU array) with its argument clipped into the interval, so
no branch overflows, divides by zero or warns; ``xp.where`` then picks the
right one per element.  NaN propagates; ``erf(+-inf) = +-1``, ``erfc(inf) = 0``.

A backend op was not needed: these are ~40 elementwise operations on the
namespace every backend already has; GELU is not on any hot path we measure.
"""
from __future__ import annotations

_THRESH = 0.46875
# erf on |x| <= 0.46875: numerator A (degree 4 in y^2, highest first after A[4]), denominator B
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
# erfc on 0.46875 < |x| <= 4
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
# erfc on |x| > 4
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1  # 1 / sqrt(pi)
_EXP_CAP = 40.0  # exp(-40^2) underflows to 0 in float64 and float32 alike


def _rational(t, num, den):
    """``(num[-1] t^n + num[0] t^(n-1) + ... + num[n-1]) / (t^n + den[0] t^(n-1) + ... + den[n-1])``.

    The Horner scheme of CALERF: ``num`` holds the leading coefficient last.
    """
    n = len(den)
    xnum = num[n] * t
    xden = t
    for i in range(n - 1):
        xnum = (xnum + num[i]) * t
        xden = (xden + den[i]) * t
    return (xnum + num[n - 1]) / (xden + den[n - 1])


def _erf_small_and_erfc_abs(xp, x):
    """``(erf(x) valid where |x| <= 0.46875, erfc(|x|) valid where |x| > 0.46875)``."""
    y = xp.abs(x)
    x1 = xp.clip(x, -_THRESH, _THRESH)
    erf_small = x1 * _rational(x1 * x1, _A, _B)

    y2 = xp.clip(y, _THRESH, 4.0)
    mid = _rational(y2, _C, _D)
    y3 = xp.clip(y, 4.0, 1e30)  # 1/y^2 must not underflow to 0/0; erfc is 0 long before
    z = 1.0 / (y3 * y3)
    tail = (_SQRPI - z * _rational(z, _P, _Q)) / y3
    ratio = xp.where(y <= 4.0, mid, tail)

    ye = xp.clip(y, 0.0, _EXP_CAP)  # keeps inf out of (y - t)(y + t)
    t = xp.trunc(ye * 16.0) / 16.0
    erfc_abs = xp.exp(-t * t) * xp.exp(-(ye - t) * (ye + t)) * ratio
    return y, erf_small, erfc_abs


def _in_float64(xp, fn, x):
    """Apply ``fn`` in float64 and round the result back to ``x``'s dtype once."""
    if x.dtype == xp.float64:
        return fn(x)
    return xp.astype(fn(xp.astype(x, xp.float64)), x.dtype)


def erf(xp, x):
    """``erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt`` of a floating array ``x`` (same dtype)."""
    def f(x):
        y, small, erfc_abs = _erf_small_and_erfc_abs(xp, x)
        large = 1.0 - erfc_abs
        return xp.where(y <= _THRESH, small, xp.where(x < 0, -large, large))
    return _in_float64(xp, f, x)


def erfc(xp, x):
    """``erfc(x) = 1 - erf(x)``, accurate relative to itself also where it is tiny (large ``x``)."""
    def f(x):
        y, small, erfc_abs = _erf_small_and_erfc_abs(xp, x)
        return xp.where(y <= _THRESH, 1.0 - small, xp.where(x < 0, 2.0 - erfc_abs, erfc_abs))
    return _in_float64(xp, f, x)
