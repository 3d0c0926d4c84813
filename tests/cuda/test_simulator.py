"""The CPU simulator of our CUDA kernels (kernels/cudasim.h, simulator.py) and the launch layer.

Test kernels live in ``sim_test_kernels.cu`` next to this file.  References are
exact: integer-valued float64 data make every sum exact, so results must be
equal, not close.
"""
import pathlib
import subprocess
import sys

import numpy
import pytest

from backends import require_backend
from xpnet.backend.cuda.launch import KernelCompileError, KernelSpec, register_kernel
from xpnet.backend.cuda.simulator import SimLauncher, asan_subprocess_env

require_backend("cudasim")   # the simulator needs Linux and a C++ compiler

SRC = str(pathlib.Path(__file__).with_name("sim_test_kernels.cu"))
SPECS = {
    "test_block_sum": ("const T*", "T*", "int"),
    "test_racy_sum": ("const T*", "T*", "int"),
    "test_divergent_barrier": ("T*", "int"),
    "test_reverse_dyn": ("const T*", "T*"),
    "test_warp_ops": ("const T*", "T*"),
    "test_out_of_bounds": ("const T*", "T*", "int", "int"),
}
for _name, _params in SPECS.items():
    register_kernel(KernelSpec(_name, SRC, _params))

SCHEDULES = [("forward", 0), ("reverse", 0), ("random", 1), ("random", 2)]


def _block_sums(x, block):
    pad = numpy.zeros(-len(x) % block)
    return numpy.concatenate([x, pad]).reshape(-1, block).sum(axis=1)


@pytest.mark.parametrize("schedule,seed", SCHEDULES)
@pytest.mark.parametrize("n,block", [(300, 128), (64, 64), (5, 32)])
def test_reduction_with_barriers_is_right_in_every_schedule(schedule, seed, n, block):
    x = numpy.random.default_rng(0).integers(-50, 50, n).astype(numpy.float64)
    out = numpy.full(-(-n // block), numpy.nan)
    SimLauncher(schedule, seed).launch("test_block_sum", x.dtype, (len(out),), (block,), 0,
                                       (x, out, n))
    numpy.testing.assert_array_equal(out, _block_sums(x, block))


def test_missing_barrier_is_exposed_by_some_schedule():
    # without __syncthreads the tree reads partial sums before they are written;
    # the forward/reverse orders run each thread to the end, so at least one of
    # them must give a wrong answer (a simulator without real barriers semantics would not)
    x = numpy.arange(256, dtype=numpy.float64)
    results = []
    for schedule, seed in SCHEDULES:
        out = numpy.zeros(2)
        SimLauncher(schedule, seed).launch("test_racy_sum", x.dtype, (2,), (128,), 0, (x, out, 256))
        results.append(numpy.array_equal(out, _block_sums(x, 128)))
    assert not all(results)


def test_divergent_barrier_is_an_error_naming_kernel_and_line():
    out = numpy.zeros(64)
    with pytest.raises(RuntimeError, match=r"xpnet_test_divergent_barrier<double>.*"
                                           r"sim_test_kernels\.cu:\d+ is divergent: 10 thread"):
        SimLauncher().launch("test_divergent_barrier", out.dtype, (1,), (64,), 0, (out, 10))
    assert not out.any()
    # every thread reaching it is fine
    SimLauncher().launch("test_divergent_barrier", out.dtype, (1,), (64,), 0, (out, 64))
    assert (out == 1).all()


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_dynamic_shared_memory(dtype):
    x = numpy.arange(4 * 48, dtype=dtype)
    y = numpy.zeros_like(x)
    SimLauncher("reverse").launch("test_reverse_dyn", dtype, (4,), (48,), 48 * x.itemsize, (x, y))
    numpy.testing.assert_array_equal(y, x.reshape(4, 48)[:, ::-1].ravel())


def test_warp_shuffles_and_votes():
    rng = numpy.random.default_rng(1)
    x = rng.integers(-3, 20, (2, 32)).astype(numpy.float64)
    x[1] = numpy.abs(x[1]) + 1  # block 1: all positive
    out = numpy.zeros((2, 7, 32))
    SimLauncher("random", 5).launch("test_warp_ops", x.dtype, (2,), (32,), 0, (x, out))
    for b in range(2):
        v = x[b]
        assert out[b, 0, 0] == v.sum()                  # shfl_down tree, lane 0
        assert (out[b, 1] == v.sum()).all()             # xor butterfly, every lane
        assert (out[b, 2] == v[3]).all()                # shfl from lane 3
        numpy.testing.assert_array_equal(out[b, 3], numpy.concatenate([v[:1], v[:-1]]))
        ballot = sum(1 << i for i in range(32) if v[i] > 0)
        assert (out[b, 4] == ballot).all()
        assert (out[b, 5] == float((v > 0).any())).all()
        assert (out[b, 6] == float((v > 0).all())).all()


def test_launch_validates_and_casts_before_running():
    L = SimLauncher()
    x = numpy.arange(8.0)
    out = numpy.zeros(1)
    with pytest.raises(TypeError, match=r"argument 0 \(const T\*\) must have dtype float64"):
        L.launch("test_block_sum", numpy.float64, (1,), (8,), 0, (x.astype(numpy.float32), out, 8))
    with pytest.raises(ValueError, match="C-contiguous"):
        L.launch("test_block_sum", numpy.float64, (1,), (4,), 0, (x[::2], out, 4))
    with pytest.raises(ValueError, match="does not fit in a C int"):
        L.launch("test_block_sum", numpy.float64, (1,), (8,), 0, (x, out, 2**31))
    with pytest.raises(TypeError, match="must be an int"):
        L.launch("test_block_sum", numpy.float64, (1,), (8,), 0, (x, out, 8.0))
    with pytest.raises(TypeError, match="takes 3 arguments"):
        L.launch("test_block_sum", numpy.float64, (1,), (8,), 0, (x, out))
    with pytest.raises(ValueError, match="more than 1024 threads"):
        L.launch("test_block_sum", numpy.float64, (1,), (64, 32), 0, (x, out, 8))
    with pytest.raises(ValueError, match="no CUDA kernel named"):
        L.launch("no_such_kernel", numpy.float64, (1,), (8,), 0, ())
    assert out[0] == 0
    with pytest.raises(ValueError, match="different signature"):
        register_kernel(KernelSpec("test_block_sum", SRC, ("const T*", "T*", "long long")))


def test_compile_error_names_file_line_and_options(tmp_path):
    src = tmp_path / "broken.cu"
    src.write_text("template <typename T>\n__global__ void xpnet_broken(T* y) {\n"
                   "    y[0] = undeclared_name;\n}\n")
    register_kernel(KernelSpec("broken", str(src), ("T*",)))
    with pytest.raises(KernelCompileError) as info:
        SimLauncher().launch("broken", numpy.float32, (1,), (1,), 0, (numpy.zeros(1, numpy.float32),))
    msg = str(info.value)
    assert "broken.cu, line 3" in msg and "-std=c++17" in msg and "undeclared_name" in msg


ASAN_SCRIPT = """
import sys, numpy
sys.path[:0] = [{here!r}, {here!r} + '/..']
sys.path.append({here!r} + '/../..')
import test_simulator  # registers the test kernels
from xpnet.backend.cuda.simulator import SimLauncher
L = SimLauncher("random", 3)
x = numpy.arange(300, dtype=numpy.float64); out = numpy.zeros(3)
L.launch("test_block_sum", x.dtype, (3,), (128,), 0, (x, out, 300))
assert out.sum() == x.sum()
print("IN BOUNDS OK", flush=True)
x = numpy.arange(200.0); y = numpy.zeros(32)   # > 1 KiB: not from NumPy's small-block cache
L.launch("test_out_of_bounds", x.dtype, (1,), (32,), 32 * 8, (x, y, {n}, {mode}))
print("NOT CAUGHT", flush=True)
"""


@pytest.mark.parametrize("mode,what", [(0, "global"), (1, "static shared"), (2, "dynamic shared")])
def test_asan_build_catches_out_of_bounds(mode, what):
    here = str(pathlib.Path(__file__).parent)
    r = subprocess.run([sys.executable, "-c", ASAN_SCRIPT.format(here=here, n=200, mode=mode)],
                       env=asan_subprocess_env(), capture_output=True, text=True, timeout=300)
    assert "IN BOUNDS OK" in r.stdout, r.stderr[-3000:]
    assert "NOT CAUGHT" not in r.stdout, f"{what} out-of-bounds access not reported"
    assert "ERROR: AddressSanitizer" in r.stderr and "sim_test_kernels.cu" in r.stderr, \
        r.stderr[-3000:]
