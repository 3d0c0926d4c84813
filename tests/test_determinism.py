"""``xpnet.manual_seed``: what is reproducible, and where (the README's "Determinism" promise).

* Initial weights are drawn on the host by one NumPy generator and rounded
  to the parameter dtype, so the same seed gives bit-identical weights on
  every backend, in float32 and float64.
* A short training run (dropout, a shuffled DataLoader whose seed comes from
  the global generator, Adam) repeated with the same seed gives bit-identical
  weights on ``numpy`` and on ``cudasim`` (our CUDA kernels on the CPU); a
  different seed gives different weights.  Bitwise equality *across*
  backends after training is not promised (summation order differs); the
  cross-backend agreement to rounding is tested in tests/cuda.
"""
import numpy
import pytest

import xpnet
from backends import require_backend
from training import weights
from xpnet import nn, optim
from xpnet.backend import backend_names
from xpnet.data import DataLoader, TensorDataset
from xpnet.train.models import reference_cnn

BATCH, STEPS = 4, 2
_DATA = numpy.random.default_rng(2024)  # fixed inputs: only the seed under test varies
X = _DATA.standard_normal((12, 1, 28, 28)).astype(numpy.float32)
Y = _DATA.integers(0, 10, 12)


def initial_weights(backend, seed, dtype):
    """The reference CNN's state dict (host arrays) right after construction with ``seed``."""
    with xpnet.use_backend(backend):
        xpnet.manual_seed(seed)
        model = reference_cnn().to(dtype=dtype)
        if dtype == "float64":  # draw again in float64, not float32 values widened
            xpnet.manual_seed(seed)
            for m in model.modules():
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()
    assert model[0].weight.backend.name == backend and model[0].weight.dtype == dtype
    return weights(model)


def _assert_bit_identical(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes(), k


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("backend", backend_names())
def test_same_seed_same_initial_weights_on_every_backend(backend, dtype):
    require_backend(backend)
    expected = initial_weights("numpy", 0, dtype)
    _assert_bit_identical(initial_weights(backend, 0, dtype), expected)
    if dtype == "float64":  # really drawn in float64: not all values fit in float32
        w = expected["0.weight"]
        assert (w.astype(numpy.float32).astype(numpy.float64) != w).any()


def test_a_different_seed_gives_different_weights():
    a, b = initial_weights("numpy", 0, "float32"), initial_weights("numpy", 1, "float32")
    assert not numpy.array_equal(a["0.weight"], b["0.weight"])
    assert not numpy.array_equal(a["9.weight"], b["9.weight"])


def train(backend, seed):
    """Weights after STEPS Adam steps on shuffled batches, with dropout on."""
    with xpnet.use_backend(backend):
        xpnet.manual_seed(seed)
        model = reference_cnn()
        loader = DataLoader(TensorDataset(X, Y), batch_size=BATCH, shuffle=True)
        opt = optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        model.train()
        for _, (xb, yb) in zip(range(STEPS), loader):
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    return weights(model)


@pytest.mark.parametrize("backend", ["numpy", "cudasim"])
def test_two_runs_with_the_same_seed_are_bit_identical(backend):
    require_backend(backend)
    _assert_bit_identical(train(backend, 0), train(backend, 0))


def test_a_run_with_another_seed_differs():
    first, other = train("numpy", 0), train("numpy", 1)
    assert not numpy.array_equal(other["0.weight"], first["0.weight"])
    start = initial_weights("numpy", 0, "float32")  # and the runs do train
    assert not numpy.array_equal(first["9.weight"], start["9.weight"])


def test_dropout_and_shuffling_follow_the_seed():
    """Same seed: the same dropout mask and batch order; so the runs above test both."""
    def draws(seed):
        xpnet.manual_seed(seed)
        mask = nn.Dropout(0.5)(xpnet.ones(64)).numpy()
        order = [yb.numpy().tolist() for yb, in DataLoader(TensorDataset(Y), batch_size=4,
                                                           shuffle=True)]
        return mask, order
    (m0, o0), (m0b, o0b), (m1, o1) = draws(0), draws(0), draws(1)
    numpy.testing.assert_array_equal(m0, m0b)
    assert o0 == o0b
    assert not numpy.array_equal(m0, m1) and o0 != o1
