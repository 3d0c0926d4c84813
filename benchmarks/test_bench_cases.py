"""pytest-benchmark suite: the same cases as ``xpnet bench`` (conv2d, batch norm, a training
step of the reference CNN), on every available backend, plus PyTorch CPU when installed.

Run for real with ``python -m pytest benchmarks --benchmark-enable``; CI runs it
once with ``--benchmark-disable`` (one iteration each) so it cannot rot.
"""
import pytest

from xpnet.backend import available_backends
from xpnet.cli.bench import configure_torch
from xpnet.cli.bench_cases import all_cases

CASES = all_cases()
# cudasim runs kernels on a CPU simulator: correct, but far too slow for these shapes
BACKENDS = [b for b in available_backends() if b not in ("array_api_strict", "cudasim")]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("backend", BACKENDS)
def test_xpnet(benchmark, case, backend):
    benchmark.group = case.name
    benchmark.extra_info.update(flops=case.flops, bytes=case.bytes)
    benchmark(case.make_xpnet(backend))


@pytest.mark.parametrize("case", [c for c in CASES if c.make_torch], ids=lambda c: c.name)
def test_torch(benchmark, case):
    """PyTorch on the same case: cuDNN (TF32 off) when a GPU is there, else the CPU."""
    torch = pytest.importorskip("torch")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    configure_torch(torch, device)
    benchmark.group = case.name
    benchmark(case.make_torch(device=device))
