"""The launch wrappers only touch array attributes that CuPy arrays have, checked without a GPU.

The ``cupy`` backend cannot run here, so its launch path (``launch.Launcher.cast_args``
and the wrappers of ``conv2d.py`` / ``batchnorm.py``) would otherwise meet real CuPy
arrays for the first time on a user's GPU.  Here those wrappers run on the simulator
with NumPy arrays whose ``flags`` are CuPy's own ``Flags`` class (which has
``c_contiguous`` but, unlike NumPy's, no ``writeable``): any NumPy-only attribute
access fails, and the results must equal those of plain NumPy arrays.
"""
import types

import numpy
import pytest

from backends import require_backend
from xpnet.backend.cuda import batchnorm, conv2d
from xpnet.backend.cuda.simulator import SimLauncher

cupy_flags = pytest.importorskip("cupy._core.flags", reason="CuPy is not installed")


class CupyLikeArray(numpy.ndarray):
    """A NumPy array that reports its flags the way a ``cupy.ndarray`` does."""

    @property
    def flags(self):
        f = super().flags
        return cupy_flags.Flags(int(f.c_contiguous), int(f.f_contiguous), int(f.owndata))


def _like(a):
    return numpy.asarray(a).view(CupyLikeArray)


class CupyLikeLauncher(SimLauncher):
    """The simulator, handed and handing out only CupyLikeArrays (as a CupyLauncher would)."""

    xp = types.SimpleNamespace(
        __name__="cupy", ascontiguousarray=lambda a: _like(numpy.ascontiguousarray(a)),
        empty=lambda *a, **k: _like(numpy.empty(*a, **k)),
        empty_like=lambda a, *r, **k: _like(numpy.empty_like(a, *r, **k)))

    def is_array(self, a):
        return isinstance(a, CupyLikeArray)


def test_cupy_flags_really_lack_writeable():
    flags = _like(numpy.zeros(3)).flags
    assert flags.c_contiguous and not hasattr(flags, "writeable")


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_wrappers_run_on_cupy_like_arrays(dtype):
    require_backend("cudasim")
    rng = numpy.random.default_rng(0)
    L, ref = CupyLikeLauncher(), SimLauncher()
    conf = ((1, 2), (1, 0), (1, 1), 2)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((3, 4, 9, 7), (6, 2, 3, 3), (6,)))
    y_ref = conv2d.forward(ref, x, w, b, *conf)
    dy = rng.standard_normal(y_ref.shape).astype(dtype)
    X, W, B, DY = map(_like, (x, w, b, dy))
    got = [conv2d.forward(L, X, W, B, *conf), conv2d.backward_data(L, DY, W, x.shape, *conf),
           conv2d.backward_filter(L, DY, X, w.shape, *conf)]
    expect = [y_ref, conv2d.backward_data(ref, dy, w, x.shape, *conf),
              conv2d.backward_filter(ref, dy, x, w.shape, *conf)]

    xb = rng.standard_normal((2, 4, 5, 3)).astype(dtype)
    g, bb = rng.standard_normal(4).astype(dtype), rng.standard_normal(4).astype(dtype)
    stats = [numpy.zeros(4, dtype), numpy.ones(4, dtype)]
    stats_like = [_like(s.copy()) for s in stats]
    fwd_ref = batchnorm.forward_train(ref, xb, g, bb, *stats, 0.1, 1e-5)
    fwd = batchnorm.forward_train(L, _like(xb), _like(g), _like(bb), *stats_like, 0.1, 1e-5)
    got += list(fwd) + stats_like
    expect += list(fwd_ref) + stats
    got += list(batchnorm.backward(L, _like(xb), _like(xb), _like(g), fwd[1], fwd[2]))
    expect += list(batchnorm.backward(ref, xb, xb, g, fwd_ref[1], fwd_ref[2]))
    got.append(batchnorm.forward_inference(L, _like(xb), None, _like(bb), *stats_like, 1e-5))
    expect.append(batchnorm.forward_inference(ref, xb, None, bb, *stats, 1e-5))
    for a, e in zip(got, expect):
        assert isinstance(a, CupyLikeArray)
        assert numpy.asarray(a).tobytes() == e.tobytes()     # same kernels, same bits
