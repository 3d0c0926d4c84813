"""Conv2d and functional.conv2d: values, gradients, PyTorch init, bad input."""
import math

import numpy
import pytest

import xpnet
from xpnet import nn
from xpnet.nn import functional as F
from references import conv2d_ref
from tolerances import GRADCHECK, assert_close

# (x shape, weight shape, stride, padding, dilation, groups): stride > 1, padding,
# dilation, groups (incl. depthwise), non-square kernels and images, 1x1 images
# and kernels, batch 1, channel counts that are not multiples of anything
SHAPES = [
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 1), (1, 2), 1),
    ((1, 4, 5, 5), (6, 2, 3, 3), (1, 1), (0, 0), (1, 1), 2),
    ((2, 3, 1, 1), (5, 3, 1, 1), (1, 1), (0, 0), (1, 1), 1),
    ((1, 5, 6, 7), (5, 1, 3, 3), (2, 2), (1, 2), (1, 1), 5),
    ((2, 3, 9, 8), (7, 3, 2, 3), (3, 2), (0, 1), (2, 1), 1),
    ((1, 6, 4, 9), (3, 2, 1, 4), (1, 3), (2, 0), (1, 2), 3),
]
IDS = [f"x{s[0]}-w{s[1]}-s{s[2]}-p{s[3]}-d{s[4]}-g{s[5]}" for s in SHAPES]


def _data(shape_x, shape_w, dtype, rng):
    return (rng.standard_normal(shape_x).astype(dtype), rng.standard_normal(shape_w).astype(dtype),
            rng.standard_normal(shape_w[0]).astype(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", SHAPES, ids=IDS)
def test_conv2d_matches_loop_reference(backend_name, case, dtype):
    sx, sw, stride, padding, dilation, groups = case
    x, w, b = _data(sx, sw, dtype, numpy.random.default_rng(1))
    y = F.conv2d(xpnet.tensor(x), xpnet.tensor(w), xpnet.tensor(b), stride, padding, dilation,
                 groups)
    assert y.dtype == numpy.dtype(dtype)
    assert_close(y, conv2d_ref(x, w, b, stride, padding, dilation, groups), dtype)


@pytest.mark.parametrize("case", SHAPES, ids=IDS)
def test_conv2d_gradcheck(backend_name, case):
    sx, sw, stride, padding, dilation, groups = case
    x, w, b = (xpnet.tensor(a, requires_grad=True)
               for a in _data(sx, sw, "float64", numpy.random.default_rng(2)))
    assert xpnet.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
                           [x, w, b], **GRADCHECK)


@pytest.mark.parametrize("kernel,dilation", [((2, 2), (1, 1)), ((3, 4), (2, 1)), ((1, 3), (1, 3))])
def test_same_padding_keeps_size_and_gradients(backend_name, kernel, dilation):
    rng = numpy.random.default_rng(3)
    x = xpnet.tensor(rng.standard_normal((1, 2, 5, 6)), requires_grad=True)
    w = xpnet.tensor(rng.standard_normal((3, 2) + kernel), requires_grad=True)
    y = F.conv2d(x, w, padding="same", dilation=dilation)
    assert y.shape == (1, 3, 5, 6)
    # PyTorch: total d*(k-1), the odd one extra at the bottom/right
    tot = [d * (k - 1) for k, d in zip(kernel, dilation)]
    xp = numpy.pad(x.numpy(), ((0, 0), (0, 0), (tot[0] // 2, tot[0] - tot[0] // 2),
                               (tot[1] // 2, tot[1] - tot[1] // 2)))
    assert_close(y, conv2d_ref(xp, w.numpy(), dilation=dilation))
    assert xpnet.gradcheck(lambda x, w: F.conv2d(x, w, padding="same", dilation=dilation),
                           [x, w], **GRADCHECK)


def test_valid_padding_is_zero_padding(backend_name):
    x, w = xpnet.randn(1, 2, 5, 5), xpnet.randn(3, 2, 3, 3)
    assert_close(F.conv2d(x, w, padding="valid"), F.conv2d(x, w, padding=0))


def test_conv2d_noncontiguous_input_and_no_mutation():
    rng = numpy.random.default_rng(4)
    base = rng.standard_normal((2, 3, 6, 5))
    x_nc = base.transpose(0, 1, 3, 2)  # (2, 3, 5, 6), not C-contiguous
    w = rng.standard_normal((4, 3, 3, 3))
    tx, tw = xpnet.tensor(x_nc, requires_grad=True), xpnet.tensor(w, requires_grad=True)
    before = (tx.numpy(), tw.numpy())
    F.conv2d(tx, tw, padding=1).sum().backward()
    numpy.testing.assert_array_equal(tx.numpy(), before[0])
    numpy.testing.assert_array_equal(tw.numpy(), before[1])
    assert_close(F.conv2d(xpnet.tensor(x_nc), xpnet.tensor(w), padding=1),
                 conv2d_ref(x_nc, w, padding=(1, 1)))


def test_conv2d_matches_torch():
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(5)
    x, w, b = _data((2, 4, 9, 7), (6, 2, 3, 2), "float64", rng)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, (2, 1), (1, 0), (1, 2), 2)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    xx, xw, xb = (xpnet.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xx, xw, xb, (2, 1), (1, 0), (1, 2), 2)
    y.backward(xpnet.tensor(g))
    for ours, theirs in ((y, ty), (xx.grad, tx.grad), (xw.grad, tw.grad), (xb.grad, tb.grad)):
        assert_close(ours, theirs.detach().numpy())


def test_conv2d_default_init_like_pytorch():
    xpnet.manual_seed(0)
    layer = nn.Conv2d(6, 8, (3, 5), groups=2)
    fan_in = 3 * 3 * 5
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives 1/sqrt(fan_in)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert w.shape == (8, 3, 3, 5) and b.shape == (8,)
    assert numpy.abs(w).max() <= bound and numpy.abs(b).max() <= bound
    # 360 uniform draws: the max is within 2% of the bound with probability > 1 - 1e-3
    assert numpy.abs(w).max() > 0.98 * bound
    assert layer.weight.dtype == xpnet.float32


def test_conv2d_same_seed_same_weights_on_every_backend(same_draws_on_host_backends):
    same_draws_on_host_backends(7, lambda _: [nn.Conv2d(3, 4, 3).weight.numpy()])


def test_conv2d_module_forward_and_repr(backend_name):
    layer = nn.Conv2d(1, 8, 3, padding=1, bias=False)
    y = layer(xpnet.randn(2, 1, 28, 28))
    assert y.shape == (2, 8, 28, 28) and layer.bias is None
    assert "kernel_size=(3, 3)" in repr(layer) and "bias=False" in repr(layer)
    assert len(list(layer.parameters())) == 1


@pytest.mark.parametrize("make,x_shape,fragment", [
    (lambda: nn.Conv2d(3, 4, 3), (3, 8, 8), "expected (N, 3, H, W)"),
    (lambda: nn.Conv2d(3, 4, 3), (2, 1, 8, 8), "expected (N, 3, H, W)"),
    (lambda: nn.Conv2d(3, 4, 5), (1, 3, 4, 4), "output would be empty"),
    (lambda: nn.Conv2d(3, 4, 3, dilation=3), (1, 3, 6, 6), "output would be empty"),
])
def test_conv2d_bad_input_names_layer_and_shapes(make, x_shape, fragment):
    with pytest.raises(ValueError, match="Conv2d") as err:
        make()(xpnet.randn(*x_shape))
    assert fragment in str(err.value) and str(x_shape) in str(err.value)


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(in_channels=3, out_channels=4, kernel_size=3, groups=2), "divisible by groups"),
    (dict(in_channels=4, out_channels=4, kernel_size=0), "kernel_size"),
    (dict(in_channels=4, out_channels=4, kernel_size=3, stride=0), "stride"),
    (dict(in_channels=4, out_channels=4, kernel_size=3, padding="full"), "padding"),
    (dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", stride=2), "stride 1"),
    (dict(in_channels=0, out_channels=4, kernel_size=3), "in_channels"),
])
def test_conv2d_bad_hyperparameters(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        nn.Conv2d(**kwargs)


def test_functional_conv2d_channel_mismatch_names_shapes():
    with pytest.raises(ValueError, match=r"input has 4 channels .*expects \(N, 6, H, W\)"):
        F.conv2d(xpnet.randn(1, 4, 6, 6), xpnet.randn(4, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="divisible by groups"):
        F.conv2d(xpnet.randn(1, 6, 6, 6), xpnet.randn(5, 3, 3, 3), groups=2)


def test_input_of_another_backend_names_input_and_weight():
    layer = nn.Conv2d(1, 2, 3)
    x = xpnet.tensor(numpy.ones((1, 1, 4, 4), numpy.float32), backend="array_api_strict")
    with pytest.raises(TypeError, match=r"mixes tensors of backend .* \(input and weight\)"):
        layer(x)


def test_empty_batch_gives_empty_output_and_zero_gradients(backend_name):
    """As torch: N = 0 is a valid batch (the last, empty, batch of a loader)."""
    layer = nn.Conv2d(2, 3, 3, padding=1)
    x = xpnet.zeros(0, 2, 5, 4, requires_grad=True)
    y = layer(x)
    assert y.shape == (0, 3, 5, 4) and y.dtype == xpnet.float32
    y.sum().backward()
    assert x.grad.shape == (0, 2, 5, 4)
    assert not layer.weight.grad.numpy().any() and not layer.bias.grad.numpy().any()


@pytest.mark.parametrize("shape", [(1, 1, 0, 3), (2, 1, 4, 0)])
def test_empty_image_is_refused_even_with_padding(shape):
    """As torch: padding=1 turned a 0-row image into an output of zeros plus bias."""
    with pytest.raises(ValueError, match="input must have non-empty H and W"):
        nn.Conv2d(1, 2, 1, padding=1)(xpnet.zeros(*shape))


@pytest.mark.parametrize("n", [0, 2])
def test_bias_dtype_must_be_the_inputs(n):
    """The backend's message spoke of 'x'; with an empty batch the mismatch went unnoticed."""
    x, w = xpnet.zeros(n, 1, 3, 3), xpnet.zeros(2, 1, 1, 1)
    with pytest.raises(TypeError, match="input dtype float32 differs from bias dtype float64"):
        F.conv2d(x, w, xpnet.zeros(2, dtype="float64"))
    with pytest.raises(TypeError, match="input must be floating point"):
        F.conv2d(xpnet.zeros(n, 1, 3, 3, dtype="int64"), w.to("int64"))
