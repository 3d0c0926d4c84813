"""MaxPool2d, AvgPool2d, AdaptiveAvgPool2d: values against loops, gradients, ties, bad input."""
import numpy
import pytest

import xpnet
from xpnet import nn
from xpnet.nn import functional as F
from references import pool2d_ref
from tolerances import GRADCHECK, assert_close

CASES = [  # x shape, kernel, stride, padding
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0)),
    ((1, 2, 7, 6), (3, 3), (2, 2), (1, 1)),
    ((2, 1, 5, 9), (2, 3), (1, 2), (1, 0)),
    ((1, 3, 1, 1), (1, 1), (1, 1), (0, 0)),
    ((1, 2, 6, 5), (3, 2), (3, 1), (1, 1)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,kernel,stride,padding", CASES, ids=str)
def test_max_and_avg_pool_match_loops(backend_name, shape, kernel, stride, padding, dtype):
    x = numpy.random.default_rng(0).standard_normal(shape).astype(dtype)
    t = xpnet.tensor(x)
    assert_close(F.max_pool2d(t, kernel, stride, padding), pool2d_ref(x, kernel, stride, padding, "max"), dtype)
    for include in (True, False):
        assert_close(F.avg_pool2d(t, kernel, stride, padding, count_include_pad=include),
                     pool2d_ref(x, kernel, stride, padding, "mean", include), dtype)


@pytest.mark.parametrize("shape,kernel,stride,padding", CASES, ids=str)
def test_pool_gradcheck(backend_name, shape, kernel, stride, padding):
    # distinct values: max pooling is not differentiable at ties
    x = numpy.random.default_rng(1).permutation(numpy.prod(shape)).reshape(shape) / 7.0
    t = xpnet.tensor(x, requires_grad=True)
    assert xpnet.gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding), [t], **GRADCHECK)
    assert xpnet.gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding, False), [t], **GRADCHECK)
    assert xpnet.gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding), [t], **GRADCHECK)


def test_max_pool_tie_sends_gradient_to_first_maximum(backend_name):
    x = xpnet.tensor(numpy.ones((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [[[[1.0, 0.0], [0.0, 0.0]]]])


@pytest.mark.parametrize("out", [1, (2, 3), (3, 2), (5, 4)])
def test_adaptive_avg_pool(backend_name, out):
    x = numpy.random.default_rng(2).standard_normal((2, 3, 7, 5))
    t = xpnet.tensor(x, requires_grad=True)
    p, q = (out, out) if isinstance(out, int) else out
    expect = numpy.zeros((2, 3, p, q))
    for i in range(p):
        for j in range(q):
            r0, r1 = i * 7 // p, -(-(i + 1) * 7 // p)
            c0, c1 = j * 5 // q, -(-(j + 1) * 5 // q)
            expect[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    assert_close(nn.AdaptiveAvgPool2d(out)(t), expect)
    assert xpnet.gradcheck(lambda t: F.adaptive_avg_pool2d(t, out), [t], **GRADCHECK)


def test_pools_match_torch():
    torch = pytest.importorskip("torch")
    x = numpy.random.default_rng(3).standard_normal((2, 3, 9, 7))
    tt = torch.tensor(x)
    t = xpnet.tensor(x)
    assert_close(F.max_pool2d(t, 3, 2, 1), torch.nn.functional.max_pool2d(tt, 3, 2, 1).numpy())
    assert_close(F.avg_pool2d(t, 3, 2, 1, False),
                 torch.nn.functional.avg_pool2d(tt, 3, 2, 1, count_include_pad=False).numpy())
    assert_close(F.adaptive_avg_pool2d(t, (4, 3)),
                 torch.nn.functional.adaptive_avg_pool2d(tt, (4, 3)).numpy())


def test_modules_default_stride_is_kernel():
    assert nn.MaxPool2d(3).stride == (3, 3) and nn.AvgPool2d(2, 1).stride == (1, 1)
    assert nn.MaxPool2d(2)(xpnet.randn(1, 1, 8, 8)).shape == (1, 1, 4, 4)


@pytest.mark.parametrize("call,fragment", [
    (lambda: nn.MaxPool2d(2)(xpnet.randn(1, 8, 8)), "4-D"),
    (lambda: nn.MaxPool2d(3, padding=2)(xpnet.randn(1, 1, 8, 8)), "at most half"),
    (lambda: nn.AvgPool2d(5)(xpnet.randn(1, 1, 3, 3)), "empty"),
    (lambda: nn.MaxPool2d(0), "kernel_size"),
    (lambda: nn.AdaptiveAvgPool2d(0), "output_size"),
])
def test_pool_bad_input(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


@pytest.mark.parametrize("pool", [nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(2)],
                         ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("shape, dtype, error", [
    ((1, 2, 4, 4), "int64", TypeError),    # AvgPool2d gave float64, torch int64 or an error
    ((1, 2, 4, 4), "bool", TypeError),
    ((1, 0, 4, 4), "float32", ValueError),  # torch: only the batch axis may be empty
    ((1, 2, 0, 4), "float32", ValueError),  # AdaptiveAvgPool2d gave NaNs
])
def test_bad_input_names_input(backend_name, pool, shape, dtype, error):
    with pytest.raises(error, match="input"):
        pool(xpnet.zeros(*shape, dtype=dtype))


def test_empty_batch_is_fine(backend_name):
    assert nn.MaxPool2d(2)(xpnet.zeros(0, 2, 4, 4)).shape == (0, 2, 2, 2)
