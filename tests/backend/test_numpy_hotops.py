"""NumPy backend hot ops (``numpy_conv``, ``numpy_batchnorm``) against independent references.

References (:mod:`references`): convolution and its two gradients as explicit
loops over output and kernel positions (float64, vectorized only over batch and
channels); batch norm from its closed form in float64 and by central finite
differences.

Tolerances
----------
* conv, any dtype: each output is a sum of ``n = C/groups*R*S`` products
  (+ bias), so for *any* summation order (BLAS blocking, FMA)
  ``|fl(y) - y| <= gamma_{n+2} * conv(|x|, |w|) + |b|)`` with
  ``gamma_k = k*u / (1 - k*u)`` (Higham, Accuracy and Stability, 3.1); u = 2^-24
  (float32) or 2^-53 (float64).  The reference is exact to float64 rounding.
* batch norm numerics: see ``test_bn_stats_stable_float32``.
"""
import numpy
import pytest

from references import (batch_norm_ref, conv2d_backward_data_ref, conv2d_backward_filter_ref,
                        conv2d_out_size, conv2d_ref)
from xpnet.backend import numpy_batchnorm as bn
from xpnet.backend import numpy_conv as nc

UNIT_ROUNDOFF = {numpy.dtype("float32"): 2.0 ** -24, numpy.dtype("float64"): 2.0 ** -53}


# (N, C, H, W, K, R, S, stride, padding, dilation, groups)
CONV_CASES = {
    "basic_nonsquare": (2, 3, 7, 9, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    "stride23_kernel2x3_batch1": (1, 5, 8, 6, 7, 2, 3, (2, 3), (1, 0), (1, 1), 1),
    "stride_not_dividing": (3, 3, 10, 11, 5, 3, 3, (3, 2), (1, 1), (1, 1), 1),
    "dilation_groups": (3, 6, 9, 10, 4, 3, 2, (1, 2), (2, 1), (2, 1), 2),
    "depthwise": (2, 7, 6, 7, 7, 3, 3, (1, 1), (1, 1), (1, 1), 7),
    "depthwise_mult2_stride2": (2, 5, 7, 6, 10, 3, 3, (2, 2), (1, 1), (1, 1), 5),
    "pointwise_1x1_image": (3, 5, 1, 1, 3, 1, 1, (1, 1), (0, 0), (1, 1), 1),
    "pointwise_groups": (2, 6, 4, 5, 9, 1, 1, (1, 1), (0, 0), (1, 1), 3),
    "pointwise_stride2": (2, 3, 7, 7, 4, 1, 1, (2, 2), (0, 0), (1, 1), 1),
    "image_1x1_kernel_3x3": (2, 3, 1, 1, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    "kernel_fills_height": (2, 3, 5, 4, 2, 5, 3, (1, 1), (0, 0), (1, 1), 1),
    "pad_beyond_kernel": (2, 2, 6, 6, 3, 3, 3, (1, 1), (4, 3), (1, 1), 1),
    "pad_beyond_kernel_stride3": (2, 2, 6, 6, 3, 3, 3, (3, 3), (4, 4), (1, 1), 1),
    "narrow_not_wide_layout": (2, 3, 4, 4, 2, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    "batch_chunks": (11, 4, 6, 7, 5, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    # C*R*S <= K: the image-major path (first layers on grey-scale images)
    "short_reduction_first_layer": (5, 1, 7, 6, 12, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    "short_reduction_stride_dilation": (3, 2, 9, 8, 20, 2, 3, (2, 1), (1, 2), (2, 1), 1),
}


def _data(case, dtype, seed=0):
    N, C, H, W, K, R, S, stride, padding, dilation, groups = case
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((K, C // groups, R, S)).astype(dtype)
    b = rng.standard_normal(K).astype(dtype)
    P, Q = conv2d_out_size(x.shape, w.shape, stride, padding, dilation)
    dy = rng.standard_normal((N, K, P, Q)).astype(dtype)
    return x, w, b, dy, (stride, padding, dilation, groups)


def _assert_within_sum_bound(actual, ref, abs_ref, n_terms, dtype):
    """``|actual - ref| <= gamma_{n+2} * abs_ref`` elementwise (+ one ulp of tiny values)."""
    u = UNIT_ROUNDOFF[numpy.dtype(dtype)]
    k = n_terms + 2
    bound = k * u / (1 - k * u) * abs_ref + numpy.finfo(dtype).tiny
    err = numpy.abs(actual.astype(numpy.float64) - ref)
    assert actual.dtype == dtype
    assert actual.shape == ref.shape
    worst = numpy.max(err / bound)
    assert worst <= 1.0, f"error exceeds the rounding bound by a factor {worst:.3g}"


@pytest.fixture(params=["default_chunks", "tiny_chunks"])
def chunking(request, monkeypatch):
    """Run each case with the default chunk size and with many small chunks (short last one)."""
    if request.param == "tiny_chunks":
        monkeypatch.setattr(nc, "_CHUNK_BYTES", 1)  # one image per chunk
    return request.param


@pytest.mark.parametrize("dtype", [numpy.float64, numpy.float32])
@pytest.mark.parametrize("case", CONV_CASES.values(), ids=CONV_CASES.keys())
def test_conv_ops_match_loop_reference(case, dtype, chunking):
    x, w, b, dy, args = _data(case, dtype)
    n_fwd = w.shape[1] * w.shape[2] * w.shape[3] + 1
    y = nc.conv2d_forward(x, w, b, *args)
    _assert_within_sum_bound(y, conv2d_ref(x, w, b, *args),
                             conv2d_ref(abs(x), abs(w), abs(b), *args), n_fwd, dtype)
    dx = nc.conv2d_backward_data(dy, w, x.shape, *args)
    n_data = w.shape[0] * w.shape[2] * w.shape[3]  # at most K*R*S terms per input position
    _assert_within_sum_bound(dx, conv2d_backward_data_ref(dy, w, x.shape, *args),
                             conv2d_backward_data_ref(abs(dy), abs(w), x.shape, *args), n_data, dtype)
    dw = nc.conv2d_backward_filter(dy, x, w.shape, *args)
    n_filt = dy.shape[0] * dy.shape[2] * dy.shape[3]
    _assert_within_sum_bound(dw, conv2d_backward_filter_ref(dy, x, w.shape, *args),
                             conv2d_backward_filter_ref(abs(dy), abs(x), w.shape, *args), n_filt, dtype)


@pytest.mark.parametrize("case", ["stride_not_dividing", "dilation_groups", "depthwise",
                                  "pad_beyond_kernel"])
def test_conv_adjoint_identity(case):
    """<conv(x, w), dy> == <x, bwd_data(dy, w)> == <w, bwd_filter(dy, x)> (bilinear map)."""
    x, w, _, dy, args = _data(CONV_CASES[case], numpy.float64, seed=3)
    lhs = numpy.vdot(nc.conv2d_forward(x, w, None, *args), dy)
    via_data = numpy.vdot(x, nc.conv2d_backward_data(dy, w, x.shape, *args))
    via_filter = numpy.vdot(w, nc.conv2d_backward_filter(dy, x, w.shape, *args))
    assert via_data == pytest.approx(lhs, rel=1e-12)
    assert via_filter == pytest.approx(lhs, rel=1e-12)


def test_conv_full_correlation_path_matches_col2im_path():
    """Both backward-data algorithms agree (stride 1, where the full correlation is used)."""
    for case in ("basic_nonsquare", "depthwise", "pad_beyond_kernel", "narrow_not_wide_layout"):  # stride 1
        x, w, _, dy, (stride, padding, dilation, groups) = _data(CONV_CASES[case], numpy.float64)
        g = nc._geometry(x.shape, w.shape, stride, padding, dilation, groups)
        numpy.testing.assert_allclose(nc._backward_data_fullconv(dy, w, g),
                                      nc._backward_data_col2im(dy, w, g),
                                      rtol=1e-12, atol=1e-12)


def _noncontiguous(a):
    """Same values as ``a`` in a non-contiguous (transposed + strided) layout."""
    big = numpy.zeros(a.shape[::-1] + (2,), a.dtype)
    big[..., 0] = a.T
    view = big[..., 0].T
    assert not view.flags.c_contiguous and numpy.array_equal(view, a)
    return view


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("case", ["dilation_groups", "pointwise_groups", "stride23_kernel2x3_batch1"])
def test_conv_noncontiguous_inputs_and_no_mutation(case, dtype):
    x, w, b, dy, args = _data(CONV_CASES[case], dtype)
    expected = (nc.conv2d_forward(x, w, b, *args), nc.conv2d_backward_data(dy, w, x.shape, *args),
                nc.conv2d_backward_filter(dy, x, w.shape, *args))
    xs, ws, bs, dys = (_noncontiguous(a) for a in (x, w, b, dy))
    copies = [a.copy() for a in (xs, ws, bs, dys)]
    got = (nc.conv2d_forward(xs, ws, bs, *args), nc.conv2d_backward_data(dys, ws, x.shape, *args),
           nc.conv2d_backward_filter(dys, xs, w.shape, *args))
    for g, e in zip(got, expected):
        assert g.dtype == dtype and g.flags.c_contiguous
        numpy.testing.assert_allclose(g, e, rtol=10 * UNIT_ROUNDOFF[numpy.dtype(dtype)], atol=0)
    for a, c in zip((xs, ws, bs, dys), copies):
        assert numpy.array_equal(a, c)


def test_conv_rejects_inconsistent_shapes_and_dtypes():
    x = numpy.zeros((2, 4, 5, 5), numpy.float32)
    w = numpy.zeros((6, 2, 3, 3), numpy.float32)
    one = ((1, 1), (0, 0), (1, 1))
    with pytest.raises(ValueError, match="channels"):
        nc.conv2d_forward(x, w, None, *one, 1)          # 4 != 2 * 1
    with pytest.raises(ValueError, match="channels"):
        nc.conv2d_forward(x, w[:5], None, *one, 2)      # K=5 not a multiple of 2
    with pytest.raises(ValueError, match="empty"):
        nc.conv2d_forward(x, numpy.zeros((6, 2, 7, 7), numpy.float32), None, *one, 2)
    with pytest.raises(ValueError, match="stride"):
        nc.conv2d_forward(x, w, None, (0, 1), (0, 0), (1, 1), 2)
    with pytest.raises(ValueError, match="bias"):
        nc.conv2d_forward(x, w, numpy.zeros(5, numpy.float32), *one, 2)
    with pytest.raises(TypeError, match="dtype"):
        nc.conv2d_forward(x, w.astype(numpy.float64), None, *one, 2)
    with pytest.raises(TypeError):
        nc.conv2d_forward(x.astype(numpy.int64), w, None, *one, 2)
    with pytest.raises(ValueError, match="grad_out"):
        nc.conv2d_backward_data(numpy.zeros((2, 6, 4, 4), numpy.float32), w, x.shape, *one, 2)
    with pytest.raises(ValueError, match="grad_out"):
        nc.conv2d_backward_filter(numpy.zeros((2, 6, 3, 4), numpy.float32), x, w.shape, *one, 2)


# ---------------------------------------------------------------------- #
# batch norm
# ---------------------------------------------------------------------- #
BN_SHAPES = [(6, 5), (4, 3, 7), (3, 7, 5, 4), (8, 6, 64, 64)]  # last one takes the threaded path


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
def test_bn_forward_train_closed_form_and_running_stats(shape, affine):
    rng = numpy.random.default_rng(1)
    C = shape[1]
    x = rng.standard_normal(shape) * 3 + 2
    w, b = (rng.standard_normal(C), rng.standard_normal(C)) if affine else (None, None)
    rm, rv = rng.standard_normal(C), rng.random(C) + 0.5
    rm0, rv0, x0 = rm.copy(), rv.copy(), x.copy()
    y, save_mean, save_invstd = bn.forward_train(x, w, b, rm, rv, 0.1, 1e-5)
    y_ref, mean, var = batch_norm_ref(x, w, b, 1e-5)
    m = x.size // C
    numpy.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(save_mean, mean, rtol=1e-12, atol=1e-14)
    numpy.testing.assert_allclose(save_invstd, 1 / numpy.sqrt(var + 1e-5), rtol=1e-12)
    numpy.testing.assert_allclose(rm, 0.9 * rm0 + 0.1 * mean, rtol=1e-12)
    numpy.testing.assert_allclose(rv, 0.9 * rv0 + 0.1 * var * m / (m - 1), rtol=1e-12)  # unbiased
    assert numpy.array_equal(x, x0)
    y_inf = bn.forward_inference(x, w, b, rm, rv, 1e-5)
    shp = (1, -1) + (1,) * (x.ndim - 2)
    y_inf_ref = (x - rm.reshape(shp)) / numpy.sqrt(rv.reshape(shp) + 1e-5)
    if affine:
        y_inf_ref = y_inf_ref * w.reshape(shp) + b.reshape(shp)
    numpy.testing.assert_allclose(y_inf, y_inf_ref, rtol=1e-12, atol=1e-12)


def test_bn_threaded_blocks_match_single_thread(monkeypatch):
    rng = numpy.random.default_rng(2)
    x = rng.standard_normal((8, 5, 64, 64)).astype(numpy.float32)   # odd C over 2+ blocks
    dy = rng.standard_normal(x.shape).astype(numpy.float32)
    w, b = rng.standard_normal(5).astype(numpy.float32), rng.standard_normal(5).astype(numpy.float32)
    monkeypatch.setattr(bn, "NUM_THREADS", 3)
    par = bn.forward_train(x, w, b, None, None, 0.1, 1e-5)
    par_bwd = bn.backward(dy, x, w, par[1], par[2])
    monkeypatch.setattr(bn, "NUM_THREADS", 1)
    seq = bn.forward_train(x, w, b, None, None, 0.1, 1e-5)
    seq_bwd = bn.backward(dy, x, w, seq[1], seq[2])
    for p, s in zip(par + par_bwd, seq + seq_bwd):
        numpy.testing.assert_array_equal(p, s)   # same per-channel arithmetic, any split


@pytest.mark.parametrize("std", [1.0, 0.1])
def test_bn_stats_stable_float32(std):
    """float32, mean 1e3: relative errors stay at rounding level.

    Bounds (u = 2^-24): the mean is rounded once to float32 after an exact-ish
    correction, so ``|dmean| <= 4u |mean|``.  ``d = x - mean0`` is exact
    (Sterbenz: x and mean0 within a factor 2), so var's error is that of
    float32 row sums of S = 256 non-negative terms, ``gamma_S <= S*u = 1.5e-5``
    (plus float64 combination); ``y = d*scale + offset`` then adds a few u, so
    ``|dy| <= (S/2 + 8) u max|y|``.  The textbook ``E[x^2] - E[x]^2`` in float32
    violates the var bound by orders of magnitude (checked below, so this test
    can fail).
    """
    rng = numpy.random.default_rng(4)
    x = (1e3 + std * rng.standard_normal((64, 8, 16, 16))).astype(numpy.float32)
    S, u = 256, 2.0 ** -24
    y, save_mean, save_invstd = bn.forward_train(x, None, None, None, None, 0.1, 0.0)
    y_ref, mean, var = batch_norm_ref(x, None, None, 0.0)
    var_got = 1.0 / save_invstd.astype(numpy.float64) ** 2
    assert numpy.max(abs(save_mean - mean) / abs(mean)) <= 4 * u
    assert numpy.max(abs(var_got - var) / var) <= S * u
    assert numpy.max(abs(y - y_ref)) <= (S / 2 + 8) * u * numpy.max(abs(y_ref))
    x3 = x.reshape(64, 8, -1)
    naive = (x3 * x3).mean(axis=(0, 2)) - x3.mean(axis=(0, 2)) ** 2   # float32, unstable
    assert numpy.max(abs(naive - var) / var) > 100 * S * u


def test_bn_backward_matches_finite_differences():
    rng = numpy.random.default_rng(5)
    x = rng.standard_normal((3, 4, 5)) * 2 + 1
    w, b = rng.standard_normal(4), rng.standard_normal(4)
    g = rng.standard_normal(x.shape)

    def loss(x_, w_, b_):
        return numpy.vdot(bn.forward_train(x_, w_, b_, None, None, 0.1, 1e-3)[0], g)

    _, save_mean, save_invstd = bn.forward_train(x, w, b, None, None, 0.1, 1e-3)
    dx, dw, db = bn.backward(g, x, w, save_mean, save_invstd)
    h = 1e-6
    for arr, grad in ((x, dx), (w, dw), (b, db)):
        fd = numpy.empty_like(arr)
        for i in numpy.ndindex(arr.shape):
            old = arr[i]
            arr[i] = old + h
            up = loss(x, w, b)
            arr[i] = old - h
            down = loss(x, w, b)
            arr[i] = old
            fd[i] = (up - down) / (2 * h)
        # central differences: truncation O(h^2) ~1e-12, rounding O(u/h) ~1e-10
        numpy.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_bn_noncontiguous_inputs_dtype_and_no_mutation(dtype):
    rng = numpy.random.default_rng(6)
    x = rng.standard_normal((5, 3, 4, 6)).astype(dtype)
    dy = rng.standard_normal(x.shape).astype(dtype)
    w, b = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    exp = bn.forward_train(x, w, b, None, None, 0.1, 1e-5)
    exp_b = bn.backward(dy, x, w, exp[1], exp[2])
    xs, dys, ws = _noncontiguous(x), _noncontiguous(dy), _noncontiguous(w)
    copies = [a.copy() for a in (xs, dys, ws)]
    got = bn.forward_train(xs, ws, b, None, None, 0.1, 1e-5)
    got_b = bn.backward(dys, xs, ws, got[1], got[2])
    for g_, e in zip(got + got_b, exp + exp_b):
        assert g_.dtype == dtype and g_.shape == e.shape
        numpy.testing.assert_allclose(g_, e, rtol=100 * UNIT_ROUNDOFF[numpy.dtype(dtype)],
                                      atol=100 * UNIT_ROUNDOFF[numpy.dtype(dtype)])
    for a, c in zip((xs, dys, ws), copies):
        assert numpy.array_equal(a, c)


def test_bn_rejects_bad_inputs():
    x = numpy.zeros((1, 3), numpy.float32)
    with pytest.raises(ValueError, match="more than 1 value"):
        bn.forward_train(x, None, None, None, None, 0.1, 1e-5)
    x = numpy.zeros((4, 3, 2), numpy.float32)
    with pytest.raises(ValueError, match="weight"):
        bn.forward_train(x, numpy.ones(4, numpy.float32), None, None, None, 0.1, 1e-5)
    with pytest.raises(ValueError, match="grad_out"):
        bn.backward(x[:, :2], x, None, numpy.zeros(3, numpy.float32), numpy.ones(3, numpy.float32))
    with pytest.raises(TypeError):
        bn.forward_train(x.astype(numpy.int32), None, None, None, None, 0.1, 1e-5)


@pytest.mark.parametrize("name", ["short_reduction_first_layer", "short_reduction_stride_dilation"])
def test_short_reductions_take_the_image_major_path(name):
    N, C, H, W, K, R, S, stride, padding, dilation, groups = CONV_CASES[name]
    g = nc._geometry((N, C, H, W), (K, C // groups, R, S), stride, padding, dilation, groups)
    assert nc._image_major(g)
