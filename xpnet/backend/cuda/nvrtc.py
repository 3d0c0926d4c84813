"""Offline compile checks: build every kernel with NVRTC for each GPU arch, no GPU needed.

NVRTC (the runtime compiler library of the ``nvidia-cuda-nvrtc-cu12`` wheel,
loaded with ctypes) turns ``kernels/*.cu`` into a cubin for a given
``sm_XX`` without a device.  With ``--ptxas-options=-v`` its log carries the
ptxas resource report for every kernel instantiation::

    ptxas info    : Compiling entry function '_Z16xpnet_conv2d_fwdIfEv...' for 'sm_80'
    ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
    ptxas info    : Used 62 registers, used 1 barriers, 4160 bytes smem, 452 bytes cmem[0]

which :func:`compile_file` parses into :class:`KernelResources` (registers
per thread, spill stores/loads in bytes, static shared memory per block).
Those figures feed the occupancy calculator and the ``bench --kernels``
report.  Each ``(file, arch)`` is compiled once, with the ``float`` and
``double`` instantiations of all its kernels in one program (NVRTC name
expressions), and cached for the process.

>>> from xpnet.backend.cuda import nvrtc
>>> res = nvrtc.compile_file("conv2d.cu", "sm_80")          # doctest: +SKIP
>>> res.kernels["xpnet_conv2d_fwd<float>"].registers          # doctest: +SKIP
62

See also: :mod:`xpnet.backend.cuda.occupancy`, :mod:`xpnet.backend.cuda.report`.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import functools
import os
import re
import struct
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy

from .launch import C_TYPE_OF_DTYPE, KernelCompileError, compile_error, load_all_specs
from .occupancy import ARCH_LIMITS
from .sources import include_options, kernel_dir, source_path

#: architectures every kernel must compile for (Volta .. Hopper): those the occupancy
#: table describes, so every compiled arch can be reported
ARCHS: Tuple[str, ...] = tuple(ARCH_LIMITS)
#: C++ element types the kernels are instantiated for, by NumPy dtype name
CTYPES = {dt.name: c for dt, c in C_TYPE_OF_DTYPE.items()}
#: options used for every compile (the arch and ptxas flags are added per call)
BASE_OPTIONS: Tuple[str, ...] = ("-std=c++17",)

_TEMPLATE_KERNEL = re.compile(r"template\s*<\s*typename\s+T\s*>\s*__global__\s+void\s+(xpnet_\w+)\s*\(")


class NvrtcUnavailable(RuntimeError):
    """libnvrtc cannot be found or loaded here (the message says why)."""


class NvrtcCompileError(KernelCompileError):
    """A kernel source failed to compile; the message names file, line and options."""


@dataclasses.dataclass(frozen=True)
class KernelResources:
    """ptxas resource usage of one kernel instantiation on one arch."""
    name: str            # name expression, e.g. "xpnet_conv2d_fwd<float>"
    mangled: str         # lowered (mangled) symbol in the cubin
    arch: str
    registers: int       # registers per thread
    spill_stores: int    # bytes
    spill_loads: int     # bytes
    shared_static: int   # bytes of static __shared__ per block
    stack_frame: int     # bytes


@dataclasses.dataclass(frozen=True)
class CompiledFile:
    """Result of compiling one ``.cu`` file for one arch."""
    filename: str
    arch: str
    options: Tuple[str, ...]
    cubin: bytes
    log: str
    kernels: Dict[str, KernelResources]   # by name expression


# ---------------------------------------------------------------------------
# loading libnvrtc
# ---------------------------------------------------------------------------
def _candidate_paths() -> List[str]:
    paths = []
    if os.environ.get("XPNET_NVRTC_PATH"):
        paths.append(os.environ["XPNET_NVRTC_PATH"])
    try:
        import nvidia.cuda_nvrtc as pkg  # the pip wheel nvidia-cuda-nvrtc-cu12
        for root in pkg.__path__:
            paths.extend(sorted(str(p) for p in Path(root, "lib").glob("libnvrtc.so*")
                                if ".alt." not in p.name))
    except ImportError:
        pass
    found = ctypes.util.find_library("nvrtc")
    if found:
        paths.append(found)
    return paths


@functools.lru_cache(maxsize=None)
def load_nvrtc() -> ctypes.CDLL:
    """The NVRTC shared library (cached).  Raises :class:`NvrtcUnavailable`."""
    tried = []
    for path in _candidate_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
            continue
        lib.nvrtcGetErrorString.restype = ctypes.c_char_p
        return lib
    raise NvrtcUnavailable(
        "libnvrtc not found (install the pip package nvidia-cuda-nvrtc-cu12 or set "
        "XPNET_NVRTC_PATH)" + ("; tried " + "; ".join(tried) if tried else ""))


def unavailable_reason() -> Optional[str]:
    """``None`` if NVRTC can be loaded, else why not (for ``pytest.skip``)."""
    try:
        load_nvrtc()
    except NvrtcUnavailable as e:
        return str(e)
    return None


def _check(lib, status: int, what: str) -> None:
    if status != 0:
        raise RuntimeError(f"{what} failed: {lib.nvrtcGetErrorString(status).decode()}")


def _get_bytes(lib, prog, size_fn, get_fn) -> bytes:
    size = ctypes.c_size_t()
    _check(lib, getattr(lib, size_fn)(prog, ctypes.byref(size)), size_fn)
    buf = ctypes.create_string_buffer(size.value)
    _check(lib, getattr(lib, get_fn)(prog, buf), get_fn)
    return buf.raw[:size.value]


# ---------------------------------------------------------------------------
# compiling
# ---------------------------------------------------------------------------
def compile_source(source: str, filename: str, name_expressions: Sequence[str], arch: str,
                   options: Sequence[str] = ()) -> CompiledFile:
    """Compile CUDA C++ ``source`` for ``arch`` (``"sm_80"``) to a cubin.

    ``name_expressions`` (e.g. ``"xpnet_conv2d_fwd<float>"``) are instantiated
    and reported.  Raises :class:`NvrtcCompileError` with the first error's
    file and line, the options and the full log if compilation fails.
    """
    if arch not in ARCHS and not re.fullmatch(r"sm_\d+a?", arch):
        raise ValueError(f"arch must look like 'sm_80'; got {arch!r}")
    lib = load_nvrtc()
    opts = tuple(BASE_OPTIONS) + tuple(options) + (f"-arch={arch}", "--ptxas-options=-v")
    prog = ctypes.c_void_p()
    _check(lib, lib.nvrtcCreateProgram(ctypes.byref(prog), source.encode(), filename.encode(),
                                       0, None, None), "nvrtcCreateProgram")
    try:
        for expr in name_expressions:
            _check(lib, lib.nvrtcAddNameExpression(prog, expr.encode()), "nvrtcAddNameExpression")
        c_opts = (ctypes.c_char_p * len(opts))(*[o.encode() for o in opts])
        status = lib.nvrtcCompileProgram(prog, len(opts), c_opts)
        log = _get_bytes(lib, prog, "nvrtcGetProgramLogSize", "nvrtcGetProgramLog")
        log = log.rstrip(b"\0").decode(errors="replace")
        if status != 0:
            raise compile_error(filename, opts, log, NvrtcCompileError)
        cubin = _get_bytes(lib, prog, "nvrtcGetCUBINSize", "nvrtcGetCUBIN")
        lowered = {}
        for expr in name_expressions:
            name = ctypes.c_char_p()
            _check(lib, lib.nvrtcGetLoweredName(prog, expr.encode(), ctypes.byref(name)),
                   "nvrtcGetLoweredName")
            lowered[expr] = name.value.decode()
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(prog))
    usage = parse_ptxas_log(log)
    from_cubin = cubin_resources(cubin) if set(lowered.values()) - set(usage) else {}
    kernels = {}
    for expr, mangled in lowered.items():
        if mangled not in usage:   # an NVRTC that ignores -v: registers/smem from the cubin
            if mangled not in from_cubin:
                raise RuntimeError(f"neither the ptxas report nor the cubin describe {expr} "
                                   f"({mangled}) in {filename} for {arch}; log:\n{log}")
            usage[mangled] = dict(from_cubin[mangled], spill_stores=0, spill_loads=0, stack_frame=0)
        kernels[expr] = KernelResources(name=expr, mangled=mangled, arch=arch, **usage[mangled])
    return CompiledFile(filename, arch, opts, cubin, log, kernels)


_ENTRY = re.compile(r"Compiling entry function '([^']+)' for '(sm_\w+)'")
_FRAME = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_USED = re.compile(r"Used (\d+) registers")
_SMEM = re.compile(r"(\d+) bytes smem")


def parse_ptxas_log(log: str) -> Dict[str, dict]:
    """Per mangled kernel name: registers, spill_stores, spill_loads, shared_static, stack_frame."""
    out: Dict[str, dict] = {}
    current = None
    for line in log.splitlines():
        m = _ENTRY.search(line)
        if m:
            current = out.setdefault(m.group(1), dict(registers=0, spill_stores=0, spill_loads=0,
                                                      shared_static=0, stack_frame=0))
            continue
        if current is None:
            continue
        m = _FRAME.search(line)
        if m:
            current.update(stack_frame=int(m.group(1)), spill_stores=int(m.group(2)),
                           spill_loads=int(m.group(3)))
        m = _USED.search(line)
        if m:
            current["registers"] = int(m.group(1))
            s = _SMEM.search(line)
            current["shared_static"] = int(s.group(1)) if s else 0
    return out


_EIATTR_REGCOUNT = 0x2F   # .nv.info attribute: (symbol index u32, registers u32)
_EIFMT_SVAL = 0x04        # attribute format with a u16 size and a payload


def cubin_resources(cubin: bytes) -> Dict[str, dict]:
    """Registers and static shared memory per kernel, read from the cubin (ELF64) itself.

    The ``.nv.info`` section is a list of attributes ``(format u8, id u8,
    size u16, payload)``; ``EIATTR_REGCOUNT`` (0x2f) holds a ``.symtab``
    symbol index and that kernel's register count.  Static shared memory is
    the size of section ``.nv.shared.<mangled>`` (absent if none), less the
    reserved window sm_90 cubins put in it.  This does
    not depend on the ptxas log; spills are not recorded here.
    """
    if cubin[:4] != b"\x7fELF" or cubin[4] != 2:
        raise ValueError("not an ELF64 cubin")
    shoff, = struct.unpack_from("<Q", cubin, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", cubin, 0x3A)
    # section header: name type flags addr offset size link info addralign entsize
    secs = [struct.unpack_from("<IIQQQQIIQQ", cubin, shoff + i * shentsize) for i in range(shnum)]

    def cstr(at: int) -> str:
        return cubin[at:cubin.index(b"\0", at)].decode()

    by_name = {cstr(secs[shstrndx][4] + sec[0]): sec for sec in secs}
    symtab = by_name[".symtab"]
    strtab_off = secs[symtab[6]][4]
    symbols = [cstr(strtab_off + struct.unpack_from("<I", cubin, symtab[4] + i * 24)[0])
               for i in range(symtab[5] // 24)]
    out: Dict[str, dict] = {}
    info = by_name.get(".nv.info")
    pos, stop = (info[4], info[4] + info[5]) if info else (0, 0)
    while pos < stop:
        fmt, attr = cubin[pos], cubin[pos + 1]
        size = struct.unpack_from("<H", cubin, pos + 2)[0] if fmt == _EIFMT_SVAL else 0
        if attr == _EIATTR_REGCOUNT and fmt == _EIFMT_SVAL:
            sym, regs = struct.unpack_from("<II", cubin, pos + 4)
            out[symbols[sym]] = dict(registers=regs, shared_static=0)
        pos += 4 + size
    # sm_90 cubins place the driver's 1 KB reserved window (.nv.shared.reserved.0) at the
    # start of every kernel's shared section; ptxas's "smem" excludes it, and so do we
    reserved = 1024 if any(n.startswith(".nv.shared.reserved.") for n in by_name) else 0
    for name, sec in by_name.items():
        if name.startswith(".nv.shared.") and name[11:] in out:
            out[name[11:]]["shared_static"] = max(0, sec[5] - reserved)
    return out


# ---------------------------------------------------------------------------
# the project's kernels
# ---------------------------------------------------------------------------
def kernel_files() -> List[str]:
    """Names of all ``.cu`` files in the kernel directory, sorted."""
    return sorted(p.name for p in kernel_dir().iterdir() if p.name.endswith(".cu"))


def name_expressions(filename: str, dtypes: Sequence[str] = tuple(CTYPES)) -> List[str]:
    """Instantiations to compile for ``filename``: every registered KernelSpec of
    that source (:func:`.launch.load_all_specs`), plus any ``template <typename T>
    __global__ void xpnet_*`` kernel of the source that no spec names."""
    specs = [s for s in load_all_specs() if s.source == filename]
    exprs = [s.name_expression(numpy.dtype(d)) for s in specs for d in dtypes]
    registered = {"xpnet_" + s.name for s in specs}
    for name in _TEMPLATE_KERNEL.findall(source_path(filename).read_text()):
        if name not in registered:
            exprs.extend(f"{name}<{CTYPES[d]}>" for d in dtypes)
    return exprs


@functools.lru_cache(maxsize=None)
def compile_file(filename: str, arch: str, dtypes: Tuple[str, ...] = tuple(CTYPES)) -> CompiledFile:
    """Compile all kernels of ``kernels/<filename>`` for ``arch``, every dtype in one program."""
    path = source_path(filename)
    return compile_source(path.read_text(), filename, name_expressions(filename, dtypes), arch,
                          options=include_options(path))
