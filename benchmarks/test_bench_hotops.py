"""pytest-benchmark: the backend hot ops called directly on arrays (no autograd, no layers).

Cases: conv2d forward and forward + backward (data + filter) on the reference
CNN's convolutions and REFERENCE.md's conv shapes; batch norm forward-train
and forward + backward on the reference CNN's activations.  Float32.  Every
available backend runs (not ``array_api_strict``, which has no hot ops of its
own, nor ``cudasim``, a CPU simulator far too slow for these shapes), next to
the same ATen ops of PyTorch CPU (2 threads) when torch is installed, so that
one run gives side-by-side ratios::

    python -m pytest benchmarks/test_bench_hotops.py --benchmark-enable \\
        --benchmark-group-by=param:shape,func

With ``--benchmark-disable`` (the CI default) each case runs once, as a smoke test.
"""
import numpy
import pytest

from xpnet.backend import available_backends, get_backend
from xpnet.cli.bench_cases import BN_SHAPES, CONV_SHAPES, conv_flops

BACKENDS = [b for b in available_backends() if b not in ("array_api_strict", "cudasim")]
CONV_IDS = ["x{}x{}x{}x{}_k{}_{}x{}_pad{}".format(n, c, h, w, k, r, r, p)
            for n, c, h, w, k, r, p in CONV_SHAPES]
BN_IDS = ["x" + "x".join(map(str, s)) for s in BN_SHAPES]


def _conv_inputs(shape):
    n, c, h, w, k, r, pad = shape
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w), dtype=numpy.float32)
    wt = rng.standard_normal((k, c, r, r), dtype=numpy.float32) * 0.1
    b = rng.standard_normal(k, dtype=numpy.float32)
    p = h + 2 * pad - r + 1
    dy = rng.standard_normal((n, k, p, p), dtype=numpy.float32)
    return x, wt, b, dy, ((1, 1), (pad, pad), (1, 1), 1)


def _bn_inputs(shape):
    rng = numpy.random.default_rng(0)
    c = shape[1]
    x = rng.standard_normal(shape, dtype=numpy.float32)
    dy = rng.standard_normal(shape, dtype=numpy.float32)
    return x, dy, numpy.ones(c, numpy.float32), numpy.zeros(c, numpy.float32)


def _torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    return torch


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "forward_backward"])
@pytest.mark.parametrize("shape", CONV_SHAPES, ids=CONV_IDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_conv2d(benchmark, backend, shape, backward):
    be = get_backend(backend)
    x, w, b, dy, args = (be.asarray(a) if isinstance(a, numpy.ndarray) else a
                         for a in _conv_inputs(shape))
    benchmark.extra_info["gflop"] = conv_flops(*shape[:6], shape[5], shape[6]) * (3 if backward else 1) / 1e9

    def run():
        be.conv2d_forward(x, w, b, *args)
        if backward:
            be.conv2d_backward_data(dy, w, x.shape, *args)
            be.conv2d_backward_filter(dy, x, w.shape, *args)
        be.synchronize()
    benchmark(run)


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "forward_backward"])
@pytest.mark.parametrize("shape", CONV_SHAPES, ids=CONV_IDS)
def test_conv2d_torch(benchmark, shape, backward):
    torch = _torch()
    x, w, b, dy, (stride, padding, dilation, groups) = (
        torch.from_numpy(a) if isinstance(a, numpy.ndarray) else a for a in _conv_inputs(shape))
    mask = [True, True, False]

    def run():
        torch.nn.functional.conv2d(x, w, b, stride, padding, dilation, groups)
        if backward:
            torch.ops.aten.convolution_backward(dy, x, w, None, list(stride), list(padding),
                                                list(dilation), False, [0, 0], groups, mask)
    benchmark(run)


@pytest.mark.parametrize("backward", [False, True], ids=["forward_train", "forward_backward"])
@pytest.mark.parametrize("shape", BN_SHAPES, ids=BN_IDS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_norm(benchmark, backend, shape, backward):
    be = get_backend(backend)
    x, dy, w, b = (be.asarray(a) for a in _bn_inputs(shape))
    rm, rv = be.asarray(numpy.zeros(shape[1], numpy.float32)), be.asarray(numpy.ones(shape[1], numpy.float32))

    def run():
        _, mean, invstd = be.batch_norm_forward_train(x, w, b, rm, rv, 0.1, 1e-5)
        if backward:
            be.batch_norm_backward(dy, x, w, mean, invstd)
        be.synchronize()
    benchmark(run)


@pytest.mark.parametrize("backward", [False, True], ids=["forward_train", "forward_backward"])
@pytest.mark.parametrize("shape", BN_SHAPES, ids=BN_IDS)
def test_batch_norm_torch(benchmark, shape, backward):
    torch = _torch()
    x, dy, w, b = (torch.from_numpy(a) for a in _bn_inputs(shape))
    rm, rv = torch.zeros(shape[1]), torch.ones(shape[1])

    def run():
        _, mean, invstd = torch.ops.aten.native_batch_norm(x, w, b, rm, rv, True, 0.1, 1e-5)
        if backward:
            torch.ops.aten.native_batch_norm_backward(dy, x, w, rm, rv, mean, invstd, True, 1e-5,
                                                      [True, True, True])
    benchmark(run)
