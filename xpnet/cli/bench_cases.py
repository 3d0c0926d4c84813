"""The benchmark cases, shared by ``xpnet bench`` and the pytest-benchmark suite in ``benchmarks/``.

Each case builds its inputs once and returns a thunk that runs one iteration
(including a device synchronize), for xpnet on a given backend and, when
PyTorch is importable, for PyTorch CPU on the same shapes.  FLOPs: a conv
forward is ``2 N K P Q (C/groups) R S``; a backward (data + filter) is twice
that.  Bytes (batch norm): training forward reads x twice and writes y
(3 passes), backward reads x, dy twice and writes dx (5 passes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional

import numpy

from ..backend import get_backend, use_backend


@dataclass
class Case:
    name: str
    group: str                 # conv2d, batch_norm, train_step
    flops: float = 0.0         # floating-point operations per iteration
    bytes: float = 0.0         # bytes moved per iteration (memory-bound cases)
    make_xpnet: Callable[[str], Callable[[], None]] = None
    make_torch: Optional[Callable[[], Callable[[], None]]] = None


def _rng():
    return numpy.random.default_rng(0)


def conv_flops(n, c, h, w, k, r, s, pad, stride=1, groups=1):
    p = (h + 2 * pad - r) // stride + 1
    q = (w + 2 * pad - s) // stride + 1
    return 2.0 * n * k * p * q * (c // groups) * r * s


# (N, C, H, W, K, R, pad): the reference CNN's two convolutions, then REFERENCE.md's
CONV_SHAPES = [
    (64, 1, 28, 28, 32, 3, 1),
    (64, 32, 14, 14, 64, 3, 1),
    (8, 64, 56, 56, 64, 3, 1),
    (32, 128, 16, 16, 128, 3, 1),
    (16, 256, 14, 14, 256, 1, 0),
]
BN_SHAPES = [(64, 32, 28, 28), (64, 64, 14, 14)]


def _conv_case(shape, backward: bool) -> Case:
    n, c, h, w, k, r, pad = shape
    rng = _rng()
    x = rng.standard_normal((n, c, h, w)).astype(numpy.float32)
    wt = (rng.standard_normal((k, c, r, r)) * 0.1).astype(numpy.float32)
    flops = conv_flops(n, c, h, w, k, r, r, pad) * (3 if backward else 1)

    def make_xpnet(backend):
        import xpnet
        from ..nn import functional as F
        with use_backend(backend):
            tx = xpnet.tensor(x, requires_grad=backward)
            tw = xpnet.tensor(wt, requires_grad=backward)
        be = get_backend(backend)

        def run():
            if backward:
                y = F.conv2d(tx, tw, padding=pad)
                y.backward(xpnet.Tensor(be.xp.ones_like(y.data), be))
            else:
                with xpnet.no_grad():
                    F.conv2d(tx, tw, padding=pad)
            be.synchronize()
        return run

    def make_torch():
        import torch
        tx = torch.tensor(x, requires_grad=backward)
        tw = torch.tensor(wt, requires_grad=backward)

        def run():
            if backward:
                y = torch.nn.functional.conv2d(tx, tw, padding=pad)
                y.backward(torch.ones_like(y))
            else:
                with torch.no_grad():
                    torch.nn.functional.conv2d(tx, tw, padding=pad)
        return run

    label = f"conv2d {'fwd+bwd' if backward else 'fwd'} {n}x{c}x{h}x{w} K{k} {r}x{r}"
    return Case(label, "conv2d", flops=flops, make_xpnet=make_xpnet, make_torch=make_torch)


def _bn_case(shape, backward: bool) -> Case:
    x = (_rng().standard_normal(shape) * 2 + 1).astype(numpy.float32)
    c = shape[1]
    nbytes = x.nbytes * (8 if backward else 3)

    def make_xpnet(backend):
        import xpnet
        from .. import nn
        with use_backend(backend):
            layer = nn.BatchNorm2d(c)
            tx = xpnet.tensor(x, requires_grad=backward)
        be = get_backend(backend)

        def run():
            if backward:
                y = layer(tx)
                y.backward(xpnet.Tensor(be.xp.ones_like(y.data), be))
            else:
                with xpnet.no_grad():
                    layer(tx)
            be.synchronize()
        return run

    def make_torch():
        import torch
        layer = torch.nn.BatchNorm2d(c)
        tx = torch.tensor(x, requires_grad=backward)

        def run():
            if backward:
                y = layer(tx)
                y.backward(torch.ones_like(y))
            else:
                with torch.no_grad():
                    layer(tx)
        return run

    label = f"batch_norm {'fwd+bwd' if backward else 'fwd'} {'x'.join(map(str, shape))}"
    return Case(label, "batch_norm", bytes=nbytes, make_xpnet=make_xpnet, make_torch=make_torch)


def reference_cnn_flops(batch=64) -> float:
    """Forward FLOPs of the reference CNN's convs and linears, times 3 for forward+backward."""
    fwd = (conv_flops(batch, 1, 28, 28, 32, 3, 3, 1) + conv_flops(batch, 32, 14, 14, 64, 3, 3, 1)
           + 2.0 * batch * 3136 * 128 + 2.0 * batch * 128 * 10)
    return 3 * fwd


def _train_step_case(batch=64) -> Case:
    rng = _rng()
    x = rng.standard_normal((batch, 1, 28, 28)).astype(numpy.float32)
    y = rng.integers(0, 10, batch)

    def make_xpnet(backend):
        import xpnet
        from .. import nn, optim
        from ..train.models import reference_cnn
        with use_backend(backend):
            xpnet.manual_seed(0)
            model = reference_cnn()
            tx, ty = xpnet.tensor(x), xpnet.tensor(y)
        opt = optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        be = get_backend(backend)

        def run():
            opt.zero_grad()
            loss_fn(model(tx), ty).backward()
            opt.step()
            be.synchronize()
        return run

    def make_torch():
        import torch
        from torch import nn as tnn
        torch.manual_seed(0)
        model = tnn.Sequential(
            tnn.Conv2d(1, 32, 3, padding=1), tnn.BatchNorm2d(32), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Conv2d(32, 64, 3, padding=1), tnn.BatchNorm2d(64), tnn.ReLU(), tnn.MaxPool2d(2),
            tnn.Flatten(), tnn.Linear(3136, 128), tnn.ReLU(), tnn.Dropout(0.5),
            tnn.Linear(128, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = tnn.CrossEntropyLoss()
        tx, ty = torch.tensor(x), torch.tensor(y)

        def run():
            opt.zero_grad()
            loss_fn(model(tx), ty).backward()
            opt.step()
        return run

    return Case(f"train step reference CNN, batch {batch}", "train_step",
                flops=reference_cnn_flops(batch), make_xpnet=make_xpnet, make_torch=make_torch)


def all_cases() -> List[Case]:
    """Every case, in table order."""
    cases = []
    for shape in CONV_SHAPES:
        cases += [_conv_case(shape, False), _conv_case(shape, True)]
    for shape in BN_SHAPES:
        cases += [_bn_case(shape, False), _bn_case(shape, True)]
    cases.append(_train_step_case())
    return cases
