"""The reference CNN trained on ``cudasim`` (our CUDA kernels on the CPU simulator) gives the
losses of the same training on ``numpy``; ``precompile`` builds every kernel once.

The architecture is REFERENCE.md's (Conv-BN-ReLU-Pool x 2, Linear 3136->128,
Dropout 0.5, Linear 128->10, Adam lr 1e-3) at batch 4 so the simulator runs a
step in about a quarter of a second.  Same seed: same initial weights and the
same dropout masks (both drawn on the host), so the two runs differ only in
the order of the floating-point operations inside conv2d and batch norm.

Tolerances
* float64: 1e-10 relative (the project's table); measured ~1e-15.
* float32: each run is compared with the float64 NumPy run of the same
  training, which is exact to ~1e-15 at this scale.  The float32 error is
  rounding only: the hot ops' reductions (at most 288 terms in conv2,
  3136 values per channel in bn1) carry ~1e-6 relative error per step and
  five steps of Adam (lr 1e-3) barely amplify it; measured 1e-7..5e-7
  relative for both cudasim and NumPy over several seeds.  We require 1e-5
  for both (a margin of 20).  A wrong term or index moves the losses far
  more: measured, a batch-norm backward missing its centering terms changes
  them by 2e-2..5e-1 from step 2 on, a conv data gradient shifted by one
  pixel by 1e-3..4e-2.  (A gradient merely scaled by a constant is nearly
  invisible to Adam, which divides by its magnitude; the op-level parity
  tests in this folder catch those.)
"""
import numpy
import pytest

import xpnet
from backends import require_backend
from training import weights
from xpnet import nn, optim
from xpnet.backend.cuda import simulator
from xpnet.train.models import reference_cnn

BATCH, STEPS, SEED = 4, 5, 0
FLOAT32_RTOL = 1e-5
# conv biases that feed a batch norm have an analytically zero gradient: Adam turns its
# rounding noise (~1e-17) into updates of ~lr * noise / eps ~ 1e-12 that differ between
# backends without changing the loss (BN subtracts them again); the BN's running mean
# tracks them.  Every other parameter and buffer must agree to 1e-10.
CANCELLED_BY_BN = ("0.bias", "4.bias", "1.running_mean", "5.running_mean")


@pytest.fixture(autouse=True)
def _cudasim_available():
    require_backend("cudasim")


def train(backend: str, dtype, steps: int = STEPS, batch: int = BATCH, seed: int = SEED):
    """(losses per step, final state dict as host arrays) of Adam on one fixed batch."""
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(dtype)
    y = rng.integers(0, 10, batch)
    with xpnet.use_backend(backend):
        xpnet.manual_seed(seed)
        model = reference_cnn().to(dtype=numpy.dtype(dtype))
        tx, ty = xpnet.tensor(x), xpnet.tensor(y)
    assert model[0].weight.backend.name == backend
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(tx), ty)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return numpy.array(losses), weights(model)


@pytest.fixture(scope="module")
def float64_reference():
    return train("numpy", numpy.float64)


def test_float64_losses_and_weights_match_numpy(float64_reference):
    losses_ref, state_ref = float64_reference
    losses, state = train("cudasim", numpy.float64)
    assert len(losses) == STEPS and numpy.all(numpy.isfinite(losses))
    assert numpy.ptp(losses) > 0.1          # the model does learn: the steps are not no-ops
    numpy.testing.assert_allclose(losses, losses_ref, rtol=1e-10, atol=0)
    assert state.keys() == state_ref.keys()
    for key, ref in state_ref.items():
        if key in CANCELLED_BY_BN:
            continue
        err = numpy.abs(state[key] - ref).max() / max(numpy.abs(ref).max(), 1e-300)
        assert err <= 1e-10, (key, err)


def test_float32_losses_match_numpy_to_rounding(float64_reference):
    losses_ref, _ = float64_reference
    sim, _ = train("cudasim", numpy.float32)
    cpu, _ = train("numpy", numpy.float32)
    sim_err = numpy.abs(sim - losses_ref) / losses_ref
    cpu_err = numpy.abs(cpu - losses_ref) / losses_ref
    assert sim_err.max() <= FLOAT32_RTOL, (sim_err, cpu_err)
    assert cpu_err.max() <= FLOAT32_RTOL, (sim_err, cpu_err)
    numpy.testing.assert_allclose(sim, cpu, rtol=2 * FLOAT32_RTOL)


# --------------------------------------------------------------------------
# precompile
# --------------------------------------------------------------------------
def _count_compiler_runs(monkeypatch):
    """Record every compiler invocation that builds a shared library."""
    calls, real_run = [], simulator.subprocess.run

    def run(cmd, *args, **kwargs):
        if "-shared" in cmd:
            calls.append(cmd)
        return real_run(cmd, *args, **kwargs)
    monkeypatch.setattr(simulator.subprocess, "run", run)
    return calls


def test_precompile_builds_every_kernel_once_then_hits_the_cache(monkeypatch, tmp_path):
    from xpnet.backend import get_backend, precompile
    from xpnet.backend.cuda import launch
    monkeypatch.setenv("XPNET_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(simulator, "_LIBS", {})          # as in a fresh process
    calls = _count_compiler_runs(monkeypatch)
    asan = get_backend("cudasim").launcher.asan
    sources = sorted({s.source for s in launch.load_all_specs() if not s.source.startswith("/")})
    assert sources == ["batchnorm.cu", "conv2d.cu"]

    precompile(["cudasim"])
    assert len(calls) == len(sources)                     # one build per source, both dtypes
    built = sorted(p.name.split("-")[0] for p in (tmp_path / "cudasim").glob("*.so"))
    assert built == [s[:-3] for s in sources]
    for source in sources:                                # every kernel x dtype is exported
        lib = simulator._LIBS[(source, asan, tuple(launch.kernel_specs(source)))]
        for spec in launch.kernel_specs(source):
            for dt in ("float32", "float64"):
                assert getattr(lib, simulator.symbol(spec, dt)) is not None

    precompile(["cudasim"])                               # same process: already loaded
    monkeypatch.setattr(simulator, "_LIBS", {})           # a new process: the disk cache
    precompile(["cudasim"])
    assert len(calls) == len(sources)                     # no compiler run after the first
