"""Offline compile checks: every kernel x dtype x arch compiles with NVRTC, without spills.

Each (file, arch) is compiled once per session (``nvrtc.compile_file`` is
cached) with both dtypes in one program; the parametrized cases then only look
up their kernel's ptxas report.  Needs the ``nvidia-cuda-nvrtc-cu12`` wheel,
no GPU.
"""

import pytest

from xpnet.backend.cuda import launch, nvrtc

NVRTC_MISSING = nvrtc.unavailable_reason()
needs_nvrtc = pytest.mark.skipif(NVRTC_MISSING is not None,
                                 reason=f"NVRTC cannot be loaded: {NVRTC_MISSING}")

CASES = [(f, arch, expr) for f in nvrtc.kernel_files() for arch in nvrtc.ARCHS
         for expr in nvrtc.name_expressions(f)]


@needs_nvrtc
@pytest.mark.parametrize("filename, arch, expr", CASES,
                         ids=[f"{f}-{a}-{e}" for f, a, e in CASES])
def test_kernel_compiles_without_spills(filename, arch, expr):
    compiled = nvrtc.compile_file(filename, arch)
    res = compiled.kernels[expr]
    assert res.arch == arch
    # the ptxas log agrees with what the cubin itself records
    elf = nvrtc.cubin_resources(compiled.cubin)[res.mangled]
    assert (elf["registers"], elf["shared_static"]) == (res.registers, res.shared_static)
    assert 0 < res.registers <= 255
    assert (res.spill_stores, res.spill_loads, res.stack_frame) == (0, 0, 0), res
    assert res.shared_static <= 48 * 1024


def test_every_template_kernel_has_a_spec():
    """A kernel in a .cu file that no KernelSpec declares could never be launched."""
    from xpnet.backend.cuda.sources import source_path
    try:
        specs = {"xpnet_" + s.name for s in launch.load_all_specs()}
    except ModuleNotFoundError as e:  # a wrapper module listed in launch.WRAPPER_MODULES
        pytest.fail(f"a kernel wrapper module cannot be imported: {e}")
    for f in nvrtc.kernel_files():
        declared = set(nvrtc._TEMPLATE_KERNEL.findall(source_path(f).read_text()))
        assert declared <= specs, (f, declared - specs)


def test_conv_shared_memory_matches_tile_sizes():
    """Static smem = As[BK][BM+1] + Bs[BK][BN+1] elements (the sizes conv2d.py assumes)."""
    if NVRTC_MISSING:
        pytest.skip(NVRTC_MISSING)
    from xpnet.backend.cuda import conv2d as c
    ks = nvrtc.compile_file("conv2d.cu", "sm_80").kernels
    for t, size in (("float", 4), ("double", 8)):
        assert ks[f"xpnet_conv2d_fwd<{t}>"].shared_static == c.BK * (c.BM + 1 + c.BN + 1) * size
        assert ks[f"xpnet_conv2d_bwd_filter<{t}>"].shared_static == \
            c.WGRAD_BK * (c.BM + 1 + c.BN + 1) * size


@needs_nvrtc
def test_compile_error_names_file_line_and_options():
    src = "template <typename T>\n__global__ void xpnet_bad(T* y) {\n  y[0] = undefined_name;\n}\n"
    with pytest.raises(nvrtc.NvrtcCompileError) as e:
        nvrtc.compile_source(src, "bad.cu", ["xpnet_bad<float>"], "sm_80", options=("-DFOO=1",))
    msg = str(e.value)
    assert "bad.cu, line 3" in msg and "-DFOO=1" in msg and "-arch=sm_80" in msg
    assert "undefined_name" in msg


def test_parse_ptxas_log():
    log = """ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function '_Z1kIfEvPf' for 'sm_80'
ptxas info    : Function properties for _Z1kIfEvPf
ptxas         .     16 bytes stack frame, 8 bytes spill stores, 4 bytes spill loads
ptxas info    : Used 40 registers, used 1 barriers, 1024 bytes smem, 372 bytes cmem[0]
ptxas info    : Compiling entry function '_Z1kIdEvPd' for 'sm_80'
ptxas info    : Function properties for _Z1kIdEvPd
ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 9 registers, 372 bytes cmem[0]
"""
    r = nvrtc.parse_ptxas_log(log)
    assert r["_Z1kIfEvPf"] == dict(registers=40, spill_stores=8, spill_loads=4,
                                   shared_static=1024, stack_frame=16)
    assert r["_Z1kIdEvPd"] == dict(registers=9, spill_stores=0, spill_loads=0,
                                   shared_static=0, stack_frame=0)


def test_bad_arch_rejected():
    with pytest.raises(ValueError, match="arch"):
        nvrtc.compile_source("", "x.cu", [], "compute_80")


# --------------------------------------------------------------------------
# the bench --kernels report built on these compile results
# --------------------------------------------------------------------------
def test_roofline_of_reference_conv2():
    from xpnet.backend.cuda import report
    rows = {(r["op"], r["dtype"]): r for r in report.roofline_rows(("float32", "float64"))}
    r = rows[("conv2 fwd", "float32")]
    flops = 2 * 64 * 64 * 14 * 14 * 32 * 3 * 3                     # 0.462 GFLOP
    assert r["gflop"] == pytest.approx(flops / 1e9)
    assert r["A100_us"] == pytest.approx(flops / 19.5e12 * 1e6)     # compute bound
    assert r["A100_bound"] == "compute"
    bn = rows[("bn1 fwd train", "float64")]                         # 24 B/elem in float64
    assert bn["mbytes"] == pytest.approx(64 * 32 * 28 * 28 * 24 / 1e6)
    assert bn["H100_us"] == pytest.approx(bn["mbytes"] * 1e6 / 3.35e12 * 1e6)


def test_kernel_rows_cover_every_launch():
    from xpnet.backend.cuda import conv2d, report
    rows = report.kernel_rows(archs=("sm_80",), dtypes=("float32",))
    conv2_fwd = [r for r in rows if r["op"] == "conv2 fwd"]
    assert len(conv2_fwd) == 1
    g = conv2d.geometry((64, 32, 14, 14), (64, 32, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    assert conv2_fwd[0]["grid"] == conv2d.launch_config("conv2d_fwd", g)[0]
    assert [r["kernel"] for r in rows if r["op"] == "conv2 bwd filter"] == [
        "xpnet_conv2d_bwd_filter<float>", "xpnet_conv2d_sum_splits<float>"]
    if NVRTC_MISSING is None:
        assert all(0 < r["occupancy"] <= 1 and r["spills"] == 0 for r in rows)
    text = report.format_report(archs=("sm_80",))
    assert "xpnet_bn_apply<float>" in text and "conv2 bwd filter" in text
