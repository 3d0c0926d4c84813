"""The one tolerance table: (rtol, atol) by dtype, each justified.

* float64: unit roundoff 1.1e-16; our ops are short sums/products of O(1)
  values, so 1e-10 leaves >1e5 ulps of headroom for reduction-order
  differences between backends while still catching any wrong formula.
* float32: unit roundoff 6e-8; reductions over up to ~1e4 terms in a
  different order (BLAS blocking, pairwise sums) accumulate up to ~sqrt(n)
  to n ulps, so 1e-4 relative with 1e-5 absolute for values near zero.
* gradcheck: central differences with eps=1e-6 in float64 have truncation
  error O(eps^2 f''') ~1e-12 and rounding error O(ulp/eps) ~1e-10 times the
  function's scale, so atol=1e-6, rtol=1e-5 is loose enough for both and tight
  enough to catch any missing or wrong gradient term.
* data parallel (float64): R ranks with batch B/R compute the same sums as one
  process with batch B, only in another order (per-shard partial sums, then
  the all-reduce), ~1e-16 relative per step; a few SGD steps stay far below
  1e-12 (the issue's bound, measured ~3e-16), while a wrong shard, a missing
  division by R or an unsynchronized step gives >1e-3.  Norm-wise per tensor.
"""
import numpy

TOL = {
    numpy.dtype("float64"): dict(rtol=1e-10, atol=1e-12),
    numpy.dtype("float32"): dict(rtol=1e-4, atol=1e-5),
}
GRADCHECK = dict(eps=1e-6, atol=1e-6, rtol=1e-5)
DATA_PARALLEL_RTOL = 1e-12


def tol(dtype):
    """``dict(rtol=..., atol=...)`` for comparing results of ``dtype``."""
    return TOL[numpy.dtype(dtype)]


def assert_close(actual, expected, dtype=None):
    """Compare host arrays (or Tensors) with the tolerance of ``dtype`` (default: actual's)."""
    a = actual.numpy() if hasattr(actual, "numpy") and not isinstance(actual, numpy.ndarray) else numpy.asarray(actual)
    e = expected.numpy() if hasattr(expected, "numpy") and not isinstance(expected, numpy.ndarray) else numpy.asarray(expected)
    numpy.testing.assert_allclose(a, e, **tol(dtype or a.dtype))
