"""The benchmark cases, shared by ``xpnet bench`` and the pytest-benchmark suite in ``benchmarks/``.

Each case builds its inputs once and returns a thunk that runs one iteration,
for xpnet on a given backend (``make_xpnet(backend, sync=True)``) and, when
PyTorch is importable, for PyTorch on the same shapes
(``make_torch(device="cpu", sync=True)``; ``device="cuda"`` on a GPU).  With
``sync=True`` the thunk ends with a device synchronize, so a wall clock times
it; ``xpnet bench`` on the GPU passes ``sync=False`` and brackets the thunk
with CUDA events instead.

Groups:

* ``op``: one backend hot op called directly on backend arrays (on ``cupy``,
  exactly our CUDA kernels: conv2d forward / backward-data / backward-filter,
  batch-norm forward-train / backward), next to the same ATen op (cuDNN on
  the GPU; batch norm through ``_batch_norm_impl_index``, the entry point
  ``torch.batch_norm`` uses, which picks cuDNN when it can);
* ``conv2d``, ``batch_norm``: the layer through autograd (forward, or forward
  + backward);
* ``train_step``: one Adam step of the reference CNN.

Work: a conv forward, backward-data or backward-filter is ``2 N K P Q (C/groups)
R S`` FLOPs, forward + backward three times that; batch norm bytes count
element accesses: forward-train reads x twice and writes y (3 per element),
backward reads dy, x twice and writes dx (5), times the itemsize.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, List, Optional

import numpy

from ..backend import get_backend, use_backend
from ..backend.conv_geometry import conv_geometry


@dataclass
class Case:
    name: str
    group: str                 # op, conv2d, batch_norm, train_step
    flops: float = 0.0         # floating-point operations per iteration
    bytes: float = 0.0         # bytes moved per iteration (memory-bound cases)
    make_xpnet: Callable[..., Callable[[], None]] = None    # (backend, sync=True) -> thunk
    make_torch: Optional[Callable[..., Callable[[], None]]] = None   # (device="cpu", sync=True)
    dtype: str = "float32"     # arithmetic dtype (chooses the FP32 or FP64 peak)


def _rng():
    return numpy.random.default_rng(0)


def conv_flops(n, c, h, w, k, r, s, pad, stride=1, groups=1) -> float:
    """FLOPs of one conv2d forward (:attr:`ConvGeometry.flops`)."""
    return float(conv_geometry((n, c, h, w), (k, c // groups, r, s), (stride, stride), (pad, pad),
                               (1, 1), groups).flops)


# (N, C, H, W, K, R, pad): the reference CNN's two convolutions, then three larger
CONV_SHAPES = [
    (64, 1, 28, 28, 32, 3, 1),
    (64, 32, 14, 14, 64, 3, 1),
    (8, 64, 56, 56, 64, 3, 1),
    (32, 128, 16, 16, 128, 3, 1),
    (16, 256, 14, 14, 256, 1, 0),
]
BN_SHAPES = [(64, 32, 28, 28), (64, 64, 14, 14)]
CONV_OPS = ("conv2d_forward", "conv2d_backward_data", "conv2d_backward_filter")
BN_OPS = ("batch_norm_forward_train", "batch_norm_backward")


def _xpnet_sync(backend: str, sync: bool) -> Callable[[], None]:
    be = get_backend(backend)
    return be.synchronize if sync else (lambda: None)


def _torch_env(device: str, dtype: str, sync: bool):
    """(torch, torch dtype, sync function) for thunks on ``device``."""
    import torch
    tdt = getattr(torch, dtype)
    cuda = str(device).startswith("cuda")
    return torch, tdt, (torch.cuda.synchronize if cuda and sync else (lambda: None))


def _layer_thunk(forward, backward: bool, no_grad, ones_like, done) -> Callable[[], None]:
    """run(): ``forward()`` under ``no_grad``, or ``forward()`` then backward from ones; then
    ``done()``.  xpnet and PyTorch thunks alike (same autograd API)."""
    def run():
        if backward:
            y = forward()
            y.backward(ones_like(y))
        else:
            with no_grad():
                forward()
        done()
    return run


def _step_thunk(model, loss_fn, opt, x, y, done) -> Callable[[], None]:
    """run(): one optimizer step of ``model`` on the batch ``(x, y)``, then ``done()``
    (xpnet and PyTorch alike)."""
    def run():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        done()
    return run


def _shape_label(shape) -> str:
    n, c, h, w, k, r, _ = shape
    return f"{n}x{c}x{h}x{w} K{k} {r}x{r}"


def _shape_flops(shape) -> float:
    n, c, h, w, k, r, pad = shape
    return conv_flops(n, c, h, w, k, r, r, pad)


@functools.lru_cache(maxsize=None)
def _conv_data(shape, dtype):
    """x, weight, bias, grad_out and (stride, padding, dilation, groups) of a conv shape
    (shared by the cases of one shape; never written to)."""
    n, c, h, w, k, r, pad = shape
    rng = _rng()
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = (rng.standard_normal((k, c, r, r)) * 0.1).astype(dtype)
    b = rng.standard_normal(k).astype(dtype)
    dy = rng.standard_normal((n, k, h + 2 * pad - r + 1, w + 2 * pad - r + 1)).astype(dtype)
    return x, wt, b, dy, ((1, 1), (pad, pad), (1, 1), 1)


def _conv_op_case(shape, op: str, dtype: str) -> Case:
    """One conv hot op on backend arrays (our kernels on cupy) vs the ATen op."""
    x, wt, b, dy, conf = _conv_data(shape, dtype)

    def make_xpnet(backend, sync=True):
        be = get_backend(backend)
        X, Wt, B, DY = (be.asarray(a) for a in (x, wt, b, dy))
        done = _xpnet_sync(backend, sync)
        call = {"conv2d_forward": lambda: be.conv2d_forward(X, Wt, B, *conf),
                "conv2d_backward_data": lambda: be.conv2d_backward_data(DY, Wt, x.shape, *conf),
                "conv2d_backward_filter": lambda: be.conv2d_backward_filter(DY, X, wt.shape, *conf)}[op]

        def run():
            call()
            done()
        return run

    def make_torch(device="cpu", sync=True):
        torch, _, done = _torch_env(device, dtype, sync)
        X, Wt, B, DY = (torch.from_numpy(a).to(device) for a in (x, wt, b, dy))
        stride, padding, dilation, groups = (list(v) if isinstance(v, tuple) else v for v in conf)
        mask = [op == "conv2d_backward_data", op == "conv2d_backward_filter", False]

        def run():
            if op == "conv2d_forward":
                torch.nn.functional.conv2d(X, Wt, B, stride, padding, dilation, groups)
            else:
                torch.ops.aten.convolution_backward(DY, X, Wt, None, stride, padding, dilation,
                                                    False, [0, 0], groups, mask)
            done()
        return run

    return Case(f"op {op} {_shape_label(shape)}", "op",
                flops=_shape_flops(shape), make_xpnet=make_xpnet,
                make_torch=make_torch, dtype=dtype)


def _bn_op_case(shape, op: str, dtype: str) -> Case:
    """One batch-norm hot op on backend arrays vs ``_batch_norm_impl_index`` (cuDNN on the GPU)."""
    rng = _rng()
    c = shape[1]
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    w, b = numpy.ones(c, dtype), numpy.zeros(c, dtype)
    backward = op == "batch_norm_backward"

    def make_xpnet(backend, sync=True):
        be = get_backend(backend)
        X, DY, W, B = (be.asarray(a) for a in (x, dy, w, b))
        RM, RV = be.asarray(numpy.zeros(c, dtype)), be.asarray(numpy.ones(c, dtype))
        _, mean, invstd = be.batch_norm_forward_train(X, W, B, RM, RV, 0.1, 1e-5)
        done = _xpnet_sync(backend, sync)

        def run():
            if backward:
                be.batch_norm_backward(DY, X, W, mean, invstd)
            else:
                be.batch_norm_forward_train(X, W, B, RM, RV, 0.1, 1e-5)
            done()
        return run

    def make_torch(device="cpu", sync=True):
        torch, tdt, done = _torch_env(device, dtype, sync)
        X, DY, W, B = (torch.from_numpy(a).to(device) for a in (x, dy, w, b))
        RM, RV = torch.zeros(c, dtype=tdt, device=device), torch.ones(c, dtype=tdt, device=device)
        _, mean, invstd, reserve, impl = torch.ops.aten._batch_norm_impl_index(
            X, W, B, RM, RV, True, 0.1, 1e-5, True)

        def run():
            if backward:
                torch.ops.aten._batch_norm_impl_index_backward(
                    impl, X, DY, W, RM, RV, mean, invstd, True, 1e-5, [True, True, True], reserve)
            else:
                torch.ops.aten._batch_norm_impl_index(X, W, B, RM, RV, True, 0.1, 1e-5, True)
            done()
        return run

    nbytes = x.nbytes * (5 if backward else 3)
    return Case(f"op {op} {'x'.join(map(str, shape))}", "op", bytes=nbytes, make_xpnet=make_xpnet,
                make_torch=make_torch, dtype=dtype)


def _conv_case(shape, backward: bool, dtype: str) -> Case:
    """The conv2d function through autograd (forward, or forward + backward)."""
    x, wt, _, _, (_, (pad, _), _, _) = _conv_data(shape, dtype)
    flops = _shape_flops(shape) * (3 if backward else 1)

    def make_xpnet(backend, sync=True):
        import xpnet
        from ..nn import functional as F
        with use_backend(backend):
            tx = xpnet.tensor(x, requires_grad=backward)
            tw = xpnet.tensor(wt, requires_grad=backward)
        be, done = get_backend(backend), _xpnet_sync(backend, sync)
        return _layer_thunk(lambda: F.conv2d(tx, tw, padding=pad), backward, xpnet.no_grad,
                            lambda y: xpnet.Tensor(be.xp.ones_like(y.data), be), done)

    def make_torch(device="cpu", sync=True):
        torch, _, done = _torch_env(device, dtype, sync)
        tx = torch.from_numpy(x).to(device).requires_grad_(backward)
        tw = torch.from_numpy(wt).to(device).requires_grad_(backward)
        return _layer_thunk(lambda: torch.nn.functional.conv2d(tx, tw, padding=pad), backward,
                            torch.no_grad, torch.ones_like, done)

    label = f"conv2d {'fwd+bwd' if backward else 'fwd'} {_shape_label(shape)}"
    return Case(label, "conv2d", flops=flops, make_xpnet=make_xpnet, make_torch=make_torch,
                dtype=dtype)


def _bn_case(shape, backward: bool, dtype: str) -> Case:
    """The BatchNorm2d layer in training mode through autograd."""
    x = (_rng().standard_normal(shape) * 2 + 1).astype(dtype)
    c = shape[1]
    nbytes = x.nbytes * (8 if backward else 3)

    def make_xpnet(backend, sync=True):
        import xpnet
        from .. import nn
        with use_backend(backend):
            layer = nn.BatchNorm2d(c).to(dtype=numpy.dtype(dtype))
            tx = xpnet.tensor(x, requires_grad=backward)
        be, done = get_backend(backend), _xpnet_sync(backend, sync)
        return _layer_thunk(lambda: layer(tx), backward, xpnet.no_grad,
                            lambda y: xpnet.Tensor(be.xp.ones_like(y.data), be), done)

    def make_torch(device="cpu", sync=True):
        torch, tdt, done = _torch_env(device, dtype, sync)
        layer = torch.nn.BatchNorm2d(c).to(device=device, dtype=tdt)
        tx = torch.from_numpy(x).to(device).requires_grad_(backward)
        return _layer_thunk(lambda: layer(tx), backward, torch.no_grad, torch.ones_like, done)

    label = f"batch_norm {'fwd+bwd' if backward else 'fwd'} {'x'.join(map(str, shape))}"
    return Case(label, "batch_norm", bytes=nbytes, make_xpnet=make_xpnet, make_torch=make_torch,
                dtype=dtype)


def reference_cnn_flops(batch=64) -> float:
    """Forward FLOPs of the reference CNN's convs and linears, times 3 for forward+backward."""
    fwd = (conv_flops(batch, 1, 28, 28, 32, 3, 3, 1) + conv_flops(batch, 32, 14, 14, 64, 3, 3, 1)
           + 2.0 * batch * 3136 * 128 + 2.0 * batch * 128 * 10)
    return 3 * fwd


def _train_step_case(batch=64, dtype="float32") -> Case:
    rng = _rng()
    x = rng.standard_normal((batch, 1, 28, 28)).astype(dtype)
    y = rng.integers(0, 10, batch)

    def make_xpnet(backend, sync=True):
        import xpnet
        from .. import nn, optim
        from ..train.models import reference_cnn
        with use_backend(backend):
            xpnet.manual_seed(0)
            model = reference_cnn().to(dtype=numpy.dtype(dtype))
            tx, ty = xpnet.tensor(x), xpnet.tensor(y)
        opt = optim.Adam(model.parameters(), lr=1e-3)
        return _step_thunk(model, nn.CrossEntropyLoss(), opt, tx, ty, _xpnet_sync(backend, sync))

    def make_torch(device="cpu", sync=True):
        torch, tdt, done = _torch_env(device, dtype, sync)
        from torch import nn as tnn
        torch.manual_seed(0)
        model = tnn.Sequential(
            tnn.Conv2d(1, 32, 3, padding=1), tnn.BatchNorm2d(32), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(32, 64, 3, padding=1), tnn.BatchNorm2d(64), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Flatten(), tnn.Linear(3136, 128), tnn.ReLU(), tnn.Dropout(0.5),
            tnn.Linear(128, 10)).to(device=device, dtype=tdt)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        tx, ty = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        return _step_thunk(model, tnn.CrossEntropyLoss(), opt, tx, ty, done)

    return Case(f"train step reference CNN, batch {batch}", "train_step",
                flops=reference_cnn_flops(batch), make_xpnet=make_xpnet, make_torch=make_torch,
                dtype=dtype)


def all_cases(dtype: str = "float32") -> List[Case]:
    """Every case in ``dtype`` (float32 or float64), in table order."""
    dtype = numpy.dtype(dtype).name
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    cases = []
    for shape in CONV_SHAPES:
        cases += [_conv_op_case(shape, op, dtype) for op in CONV_OPS]
    for shape in BN_SHAPES:
        cases += [_bn_op_case(shape, op, dtype) for op in BN_OPS]
    for shape in CONV_SHAPES:
        cases += [_conv_case(shape, False, dtype), _conv_case(shape, True, dtype)]
    for shape in BN_SHAPES:
        cases += [_bn_case(shape, False, dtype), _bn_case(shape, True, dtype)]
    cases.append(_train_step_case(dtype=dtype))
    return cases
