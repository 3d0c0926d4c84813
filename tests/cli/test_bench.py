"""``xpnet bench``: peaks, fraction of peak, timers, the measurement loop and the tables,
with fake devices and clocks (no GPU here); the ``--kernels`` report through the CLI.

Reference figures in these tests are NVIDIA's published data-sheet numbers,
not outputs of the code under test: e.g. the RTX 3090 is quoted at 35.6
TFLOP/s FP32 and 936 GB/s, the V100 SXM2 at 15.7 TFLOP/s FP32, 7.8 FP64 and
900 GB/s.
"""
import re
import sys
import types

import pytest

from xpnet.backend.cuda import nvrtc
from xpnet.backend.cuda.peaks import DevicePeaks, device_peaks, fraction_of_peak
from xpnet.cli import bench, main
from xpnet.cli.bench_cases import Case, all_cases

GB = 1e9


# --------------------------------------------------------------------------
# device peaks
# --------------------------------------------------------------------------
@pytest.mark.parametrize("name, memory, fp32, fp64, bw", [
    (b"NVIDIA A100-SXM4-80GB", 80 * GB, 19.5e12, 9.7e12, 2.04e12),
    (b"NVIDIA A100-PCIE-40GB", 40 * GB, 19.5e12, 9.7e12, 1.555e12),
    ("NVIDIA A100", 40 * GB, 19.5e12, 9.7e12, 1.555e12),           # the memory size decides
    ("NVIDIA H100 80GB HBM3", 80 * GB, 66.9e12, 33.5e12, 3.35e12),
    ("NVIDIA H100 PCIe", 80 * GB, 51.2e12, 25.6e12, 2.0e12),
    ("NVIDIA H200", 141 * GB, 66.9e12, 33.5e12, 4.8e12),
])
def test_known_gpus_use_the_quoted_peaks(name, memory, fp32, fp64, bw):
    p = device_peaks({"name": name, "totalGlobalMem": memory, "multiProcessorCount": 100,
                      "clockRate": 1_000_000, "major": 8, "minor": 0})
    assert (p.fp32, p.fp64, p.bandwidth) == (fp32, fp64, bw)
    assert p.flops("float32") == fp32 and p.flops("float64") == fp64
    assert "quoted" in p.source and not p.name.startswith("b'")


@pytest.mark.parametrize("props, fp32, fp64, bw", [
    # RTX 3090: 82 SMs x 128 lanes at 1.695 GHz boost; GDDR6X 19.5 Gb/s on 384 bits
    (dict(name=b"NVIDIA GeForce RTX 3090", multiProcessorCount=82, clockRate=1_695_000,
          major=8, minor=6, memoryClockRate=9_751_000, memoryBusWidth=384),
     35.6e12, 35.6e12 / 64, 936e9),
    # V100 SXM2 (not in the table): 80 SMs x 64 lanes at 1.53 GHz; HBM2 877 MHz on 4096 bits
    (dict(name="Tesla V100-SXM2-16GB", multiProcessorCount=80, clockRate=1_530_000,
          major=7, minor=0, memoryClockRate=877_000, memoryBusWidth=4096),
     15.7e12, 7.8e12, 900e9),
])
def test_other_gpus_are_estimated_from_their_properties(props, fp32, fp64, bw):
    p = device_peaks(props)
    assert p.fp32 == pytest.approx(fp32, rel=0.01)
    assert p.fp64 == pytest.approx(fp64, rel=0.01)
    assert p.bandwidth == pytest.approx(bw, rel=0.01)
    assert p.source.startswith("estimated") and p.sms == props["multiProcessorCount"]


def test_the_estimate_agrees_with_the_table_for_an_a100():
    # an A100 under a name the table does not know: 108 SMs x 64 lanes at 1.41 GHz
    p = device_peaks(dict(name="mystery", multiProcessorCount=108, clockRate=1_410_000,
                          major=8, minor=0, memoryClockRate=1_215_000, memoryBusWidth=5120))
    assert p.fp32 == pytest.approx(19.5e12, rel=0.01) and p.fp64 == pytest.approx(9.7e12, rel=0.01)
    assert p.bandwidth == pytest.approx(1.555e12, rel=0.01)


def test_unknown_clock_gives_unknown_peaks_and_no_fraction():
    p = device_peaks(dict(name="future GPU", multiProcessorCount=200, major=12, minor=0))
    assert p.fp32 is None and p.fp64 is None and p.bandwidth is None
    assert fraction_of_peak(1e9, 0, 1e-3, "float32", p) is None
    assert fraction_of_peak(0, 1e9, 1e-3, "float32", p) is None


def test_fraction_of_peak_uses_flops_by_dtype_or_bandwidth():
    p = DevicePeaks("gpu", 1, 1.0, fp32=20e12, fp64=10e12, bandwidth=2e12, source="test")
    assert fraction_of_peak(1e12, 0, 0.1, "float32", p) == pytest.approx(0.5)     # 10 TFLOP/s
    assert fraction_of_peak(1e12, 0, 0.1, "float64", p) == pytest.approx(1.0)
    assert fraction_of_peak(0, 1e9, 1e-3, "float32", p) == pytest.approx(0.5)     # 1 TB/s
    assert fraction_of_peak(1e12, 0, 0.1, "float32", None) is None
    with pytest.raises(ValueError, match="float32 or float64"):
        fraction_of_peak(1e12, 0, 0.1, "int32", p)


# --------------------------------------------------------------------------
# PyTorch device and configuration, timers, measurement loop
# --------------------------------------------------------------------------
def _fake_torch(cuda: bool):
    flags = lambda: types.SimpleNamespace(allow_tf32=True, benchmark=False)  # noqa: E731
    return types.SimpleNamespace(
        __version__="9.9", cuda=types.SimpleNamespace(is_available=lambda: cuda),
        backends=types.SimpleNamespace(cuda=types.SimpleNamespace(matmul=flags()), cudnn=flags()))


def test_torch_device_follows_the_backend():
    assert bench.choose_torch_device("cupy", _fake_torch(True))[0] == "cuda"
    device, note = bench.choose_torch_device("cupy", _fake_torch(False))
    assert device is None and "no CUDA" in note            # never GPU vs CPU figures
    assert bench.choose_torch_device("numpy", _fake_torch(True))[0] == "cpu"
    assert bench.choose_torch_device("numpy", None) == (None, "PyTorch not installed")
    assert bench.choose_torch_device("cudasim", _fake_torch(True))[0] is None


def test_configure_torch_disables_tf32_on_cuda_only():
    t = _fake_torch(True)
    bench.configure_torch(t, "cpu")
    assert t.backends.cuda.matmul.allow_tf32 and t.backends.cudnn.allow_tf32
    bench.configure_torch(t, "cuda")
    assert t.backends.cuda.matmul.allow_tf32 is False and t.backends.cudnn.allow_tf32 is False
    assert t.backends.cudnn.benchmark is True


class FakeClock:
    """A GPU clock that advances only when a thunk 'runs'; events read it when recorded."""

    def __init__(self):
        self.now, self.log = 0.0, []

    def thunk(self, name, seconds):
        def run():
            self.log.append(name)
            self.now += seconds
        return run

    def event(self):
        clock = self

        class Event:
            t = None

            def record(self):
                self.t = clock.now
                clock.log.append("record")

            def synchronize(self):
                clock.log.append("wait")

            def elapsed_time(self, stop):   # torch.cuda.Event's, in ms
                return (stop.t - self.t) * 1e3
        return Event()

    def sync(self):
        self.log.append("sync")


def test_event_timer_brackets_the_call_and_converts_ms():
    clock = FakeClock()
    timer = bench.event_timer(clock.event, lambda a, b: (b.t - a.t) * 1e3, clock.sync)
    assert timer(clock.thunk("k", 0.25)) == pytest.approx(0.25)
    # earlier work drained first, then start, the kernels, stop, and a wait on stop
    assert clock.log == ["sync", "record", "k", "record", "wait"]


def test_measure_interleaves_after_warmup_and_takes_medians():
    clock = FakeClock()
    durations = iter([5, 1, 2, 3, 100])   # ours: one outlier among 5 timed runs
    case = Case("c", "op", flops=1.0)

    def ours():
        clock.log.append("ours")
        clock.now += next(durations, 1)

    timer = bench.event_timer(clock.event, lambda a, b: (b.t - a.t) * 1e3, lambda: None)
    rows = bench.measure([case], lambda c: ours, lambda c: clock.thunk("theirs", 2.0), timer,
                         timer, repeat=4, warmup=1)
    names = [e for e in clock.log if e in ("ours", "theirs")]
    assert names == ["ours", "theirs"] * 5
    assert rows[0]["xpnet"] == pytest.approx(2.5) and rows[0]["torch"] == pytest.approx(2.0)
    rows = bench.measure([case], lambda c: clock.thunk("o", 1.0), None, timer, timer, 2, 0)
    assert rows[0]["torch"] is None


def test_format_table_reports_rate_fraction_and_ratio():
    p = DevicePeaks("gpu", 1, 1.0, fp32=20e12, fp64=10e12, bandwidth=2e12, source="test")
    rows = [dict(case=Case("conv", "op", flops=2e9, dtype="float64"), xpnet=1e-3, torch=5e-4),
            dict(case=Case("bn", "op", bytes=1e9), xpnet=1e-3, torch=None)]
    text = bench.format_table(rows, "cupy", p, "cuDNN")
    conv = next(line for line in text.splitlines() if line.startswith("conv"))
    # 2 TFLOP/s = 20% of the 10 TFLOP/s FP64 peak; xpnet takes twice cuDNN's time
    assert re.search(r"2000\.0 GFLOP/s\s+20\.0%\s+0\.500\s+4000\.0 GFLOP/s\s+2\.00$", conv), conv
    bn = next(line for line in text.splitlines() if line.startswith("bn"))
    assert re.search(r"1000\.0 GB/s\s+50\.0%\s+-\s+-\s+-$", bn), bn
    assert "% peak" in text and "xpnet/cuDNN" in text
    assert "% peak" not in bench.format_table(rows, "numpy")


# --------------------------------------------------------------------------
# the GPU path of `xpnet bench`, end to end on fakes
# --------------------------------------------------------------------------
def test_bench_on_a_fake_gpu(monkeypatch, capsys):
    clock, calls = FakeClock(), []
    case = Case("op fake conv", "op", flops=4e9, dtype="float32")
    case.make_xpnet = lambda b, sync=True: calls.append(("xpnet", b, sync)) or clock.thunk("o", 1e-3)
    case.make_torch = lambda d="cpu", sync=True: calls.append(("torch", d, sync)) or clock.thunk("t", 5e-4)
    monkeypatch.setattr("xpnet.cli.bench_cases.all_cases", lambda dtype: [case])

    class FakeBackend:
        name = "cupy"

        def precompile(self):
            calls.append("precompile")
    monkeypatch.setattr("xpnet.backend.get_backend", lambda name=None: FakeBackend())
    runtime = types.SimpleNamespace(
        getDeviceProperties=lambda dev: {"name": b"NVIDIA A100-SXM4-80GB", "multiProcessorCount": 108,
                                         "totalGlobalMem": 80 * GB, "major": 8, "minor": 0},
        cudaDevAttrClockRate=13, deviceGetAttribute=lambda attr, dev: 1_410_000)
    cupy = types.SimpleNamespace(cuda=types.SimpleNamespace(
        runtime=runtime, Event=clock.event, get_elapsed_time=lambda a, b: (b.t - a.t) * 1e3,
        Device=lambda: types.SimpleNamespace(id=0, synchronize=clock.sync)))
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    torch = _fake_torch(True)
    torch.cuda.Event = lambda enable_timing: clock.event()
    torch.cuda.synchronize = clock.sync
    monkeypatch.setattr(bench, "_torch", lambda: torch)

    assert main(["bench", "--backend", "cupy", "--repeat", "3", "--warmup", "1"]) == 0
    out = capsys.readouterr().out
    assert calls == ["precompile", ("xpnet", "cupy", False), ("torch", "cuda", False)]
    assert torch.backends.cudnn.allow_tf32 is False and torch.backends.cuda.matmul.allow_tf32 is False
    assert "NVIDIA A100-SXM4-80GB, 108 SMs at 1.41 GHz" in out and "19.50 TFLOP/s" in out
    row = next(line for line in out.splitlines() if line.startswith("op fake conv"))
    # 4 GFLOP in 1 ms = 4 TFLOP/s = 20.5% of 19.5; cuDNN (fake) twice as fast
    assert re.search(r"1\.000\s+4000\.0 GFLOP/s\s+20\.5%\s+0\.500\s+8000\.0 GFLOP/s\s+2\.00$", row), row


def test_cupy_without_a_device_is_refused_with_the_cudasim_hint(capsys):
    from xpnet.backend import backend_unavailable_reason
    if backend_unavailable_reason("cupy") is None:
        pytest.skip("a CUDA device is present")
    assert main(["bench", "--backend", "cupy"]) == 2
    err = capsys.readouterr().err
    assert "cupy" in err and "cudasim" in err


# --------------------------------------------------------------------------
# the cases and the CPU path
# --------------------------------------------------------------------------
def test_op_cases_cover_every_hot_op_on_the_reference_shapes():
    names = [c.name for c in all_cases() if c.group == "op"]
    for op in ("conv2d_forward", "conv2d_backward_data", "conv2d_backward_filter"):
        for shape in ("64x1x28x28 K32 3x3", "64x32x14x14 K64 3x3"):
            assert f"op {op} {shape}" in names
    for op in ("batch_norm_forward_train", "batch_norm_backward"):
        for shape in ("64x32x28x28", "64x64x14x14"):
            assert f"op {op} {shape}" in names
    assert {c.dtype for c in all_cases("float64")} == {"float64"}
    with pytest.raises(ValueError, match="float32 or float64"):
        all_cases("int32")


def test_bench_op_case_on_numpy_next_to_torch_cpu(capsys):
    pytest.importorskip("torch")
    assert main(["bench", "--filter", "op batch_norm_backward 64x64", "--repeat", "1",
                 "--warmup", "0", "--dtype", "float64"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("op batch_norm_backward"))
    assert "float64" in row and "GB/s" in row and "on the CPU" in out
    assert re.search(r"\d+\.\d\d$", row), row           # a ratio to torch


# --------------------------------------------------------------------------
# --kernels: the offline NVRTC report
# --------------------------------------------------------------------------
@pytest.mark.skipif(nvrtc.unavailable_reason() is not None, reason=str(nvrtc.unavailable_reason()))
def test_kernels_report_lists_every_kernel_dtype_and_arch(capsys):
    from xpnet.backend.cuda import launch
    assert main(["bench", "--kernels"]) == 0
    out = capsys.readouterr().out
    kernel_part, roof_part = out.split("Roofline floor")
    seen = set()
    for line in kernel_part.splitlines():
        m = re.match(r"\S.*?\s+(xpnet_\w+)<(float|double)>\s+(float32|float64)\s+(sm_\d+)\s+"
                     r"(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+\w", line)
        if m:
            kernel, ctype, dtype, arch, _, _, regs, spills, smem, occ = m.groups()
            assert {"float": "float32", "double": "float64"}[ctype] == dtype
            assert 0 < int(regs) <= 255 and int(spills) == 0 and int(smem) >= 0
            assert 0 < int(occ) <= 100
            seen.add((kernel, dtype, arch))
    expected = {("xpnet_" + s.name, dt, arch) for s in launch.load_all_specs()
                if not s.source.startswith("/") for dt in ("float32", "float64")
                for arch in nvrtc.ARCHS}
    assert expected - seen == set()
    # roofline: conv2 forward (0.462 GFLOP) at the A100's 19.5 TFLOP/s FP32 = 23.7 us;
    # batch norm 1 backward in float64: 5 * 8 B * 1.6M values / 3.35 TB/s on an H100 = 19.2 us
    conv2 = next(line for line in roof_part.splitlines() if line.startswith("conv2 fwd  ")
                 and "float32" in line)
    assert re.search(r"0\.462\s+\S+\s+23\.7\s+compute\s+6\.91\s+compute", conv2), conv2
    bn1 = next(line for line in roof_part.splitlines() if line.startswith("bn1 bwd")
               and "float64" in line)
    assert re.search(r"\s19\.2\s+memory$", bn1), bn1


def test_kernels_report_rejects_an_unknown_arch(capsys):
    assert main(["bench", "--kernels", "--arch", "sm_99"]) == 2
    assert "sm_99" in capsys.readouterr().err


def test_ratio_is_the_median_of_back_to_back_pairs():
    # a slow spell hits one pair on both sides: the paired ratio stays 0.5, while
    # the ratio of the medians would be thrown off by the spell
    times = iter([1, 2, 1, 2, 10, 20, 10, 20, 10, 20])
    timer = lambda fn: next(times)  # noqa: E731
    rows = bench.measure([Case("c", "op", flops=1.0)], lambda c: (lambda: None),
                         lambda c: (lambda: None), timer, timer, repeat=5, warmup=0)
    assert rows[0]["ratio"] == pytest.approx(0.5)
    assert rows[0]["xpnet"] / rows[0]["torch"] == pytest.approx(0.5)
    # the machine slows down halfway (pairs 4, 5): medians 1 vs 10 say 0.1, pairs say 0.5
    times = iter([1, 2, 1, 2, 1, 10, 5, 10, 5, 10])
    rows = bench.measure([Case("c", "op", flops=1.0)], lambda c: (lambda: None),
                         lambda c: (lambda: None), timer, timer, repeat=5, warmup=0)
    assert rows[0]["ratio"] == pytest.approx(0.5)           # pairs: .5 .5 .1 .5 .5
    assert rows[0]["xpnet"] / rows[0]["torch"] == pytest.approx(0.1)
