"""Run our CUDA kernels on the CPU: build ``kernels/cudasim.h`` + a ``.cu`` source into a
shared library and launch kernels in it through ctypes.

For each kernel source, :func:`build_library` generates a wrapper ``.cpp`` that
includes ``cudasim.h`` and the source, and exports for every registered kernel
and dtype one function ::

    extern "C" int xpnet_sim__<name>__<float|double>(const xpnet_sim::Launch*,
                                                      const unsigned long long* args,
                                                      char* err, int errlen);

``args`` holds one 8-byte slot per kernel argument (pointer, or the bytes of
the int / float scalar).  The library is compiled with ``$CXX`` (default
``g++``) and cached under ``$XPNET_CACHE_DIR/cudasim`` (default
``~/.cache/xpnet/cudasim``), keyed by a hash of the sources, headers,
wrapper, flags and compiler version, so a test session compiles each source
once.

Environment: ``XPNET_CUDASIM_SCHEDULE`` = ``forward`` (default) | ``reverse`` |
``random`` | ``random:SEED`` chooses the order threads of a block run in;
``XPNET_CUDASIM_ASAN=1`` builds with ``-fsanitize=address`` (the Python
process must then be started with
``LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0``).
"""
from __future__ import annotations

import ctypes
import functools
import os
import pathlib
import re
import subprocess
import tempfile
import threading
from typing import Dict, Optional

import numpy

from . import sources
from .launch import DTYPES, KernelSpec, Launcher, compile_error, kernel_specs

SCHEDULES = {"forward": 0, "reverse": 1, "random": 2}
BASE_FLAGS = ("-std=c++17", "-fPIC", "-shared", "-Wall", "-Wno-unknown-pragmas",
              "-Wno-unused-variable", "-Wno-unused-function", "-Wno-unused-but-set-variable")
OPT_FLAGS = ("-O2",)
ASAN_FLAGS = ("-O1", "-g", "-fsanitize=address", "-fno-omit-frame-pointer")
ERR_LEN = 2048

# `extern __shared__ [__align__(n)] TYPE NAME[];` inside a kernel -> a pointer to the
# launch's dynamic shared memory (same line, so compiler messages keep their line numbers)
_EXTERN_SHARED = re.compile(
    r"extern\s+__shared__\s+(?:__align__\s*\(\s*\d+\s*\)\s+)?([A-Za-z_][\w:<>\s]*?)\s*"
    r"(?:__align__\s*\(\s*\d+\s*\)\s*)?\b([A-Za-z_]\w*)\s*\[\s*\]\s*;")


# `__shared__ TYPE NAME[A][B];` (static shared memory) -> a reference to a buffer of
# exactly that size (cudasim.h static_shared), so ASan checks its bounds
_STATIC_SHARED = re.compile(
    r"(?<![\w])__shared__\s+(?:__align__\s*\(\s*\d+\s*\)\s+)?([A-Za-z_][\w:<>,\s]*?)\s+"
    r"([A-Za-z_]\w*)\s*((?:\[[^\[\];]+\])*)\s*;")


def rewrite_shared(text: str) -> str:
    """Rewrite the shared-memory declarations of a kernel source for the simulator
    (each on its own line, so compiler messages keep their line numbers)."""
    text = _EXTERN_SHARED.sub(
        lambda m: f"{m.group(1)}* const {m.group(2)} = "
                  f"reinterpret_cast<{m.group(1)}*>(::xpnet_sim::dynamic_shared());", text)
    counter = iter(range(1, 1 << 30))
    return _STATIC_SHARED.sub(
        lambda m: f"{m.group(1)} (&{m.group(2)}){m.group(3)} = *reinterpret_cast<{m.group(1)} "
                  f"(*){m.group(3)}>(::xpnet_sim::static_shared(sizeof({m.group(1)}{m.group(3)}), "
                  f"{next(counter)}));", text)


class _Launch(ctypes.Structure):
    _fields_ = [("grid", ctypes.c_int * 3), ("block", ctypes.c_int * 3),
                ("shared_mem", ctypes.c_longlong), ("schedule", ctypes.c_int),
                ("seed", ctypes.c_ulonglong)]


def cache_dir() -> pathlib.Path:
    root = os.environ.get("XPNET_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache",
                                                            "xpnet")
    return pathlib.Path(root) / "cudasim"


def compiler() -> str:
    return os.environ.get("CXX") or "g++"


@functools.lru_cache(maxsize=None)
def compiler_version(cxx: str) -> str:
    """``cxx --version``; raises RuntimeError if there is no such compiler."""
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError(f"the C++ compiler {cxx!r} needed by the CUDA simulator cannot run "
                           f"({e}); install g++ or set CXX") from None
    return out.stdout.strip()


def asan_loaded() -> bool:
    """True if libasan is loaded into this process (needed to load an ASan build)."""
    try:
        return "libasan" in pathlib.Path("/proc/self/maps").read_text()
    except OSError:
        return False


def asan_subprocess_env() -> dict:
    """``os.environ`` plus what a child Python needs to load ASan builds
    (``LD_PRELOAD`` of libasan, leak checks off, ``XPNET_CUDASIM_ASAN=1``)."""
    libasan = subprocess.run([compiler(), "-print-file-name=libasan.so"], capture_output=True,
                             text=True, check=True).stdout.strip()
    return dict(os.environ, LD_PRELOAD=libasan, ASAN_OPTIONS="detect_leaks=0",
                XPNET_CUDASIM_ASAN="1")


def symbol(spec: KernelSpec, dtype) -> str:
    return f"xpnet_sim__{spec.name}__{numpy.dtype(dtype).name}"


def wrapper_source(source_copy: pathlib.Path, specs) -> str:
    """The C++ wrapper exporting one launcher per (spec, dtype)."""
    lines = ['#include "cudasim.h"', f'#include "{source_copy}"', ""]
    for spec in specs:
        for dt in DTYPES:
            params = spec.c_params(dt)
            fields = " ".join(f"{p} a{i};" for i, p in enumerate(params))
            unpack = " ".join(f"memcpy(&c.a{i}, &a[{i}], sizeof(c.a{i}));"
                              for i in range(len(params)))
            call = ", ".join(f"k.a{i}" for i in range(len(params)))
            lines += [
                f'extern "C" int {symbol(spec, dt)}(const xpnet_sim::Launch* L, '
                "const unsigned long long* a, char* err, int errlen) {",
                f"    struct Ctx {{ {fields} }} c;",
                f"    {unpack}",
                "    return xpnet_sim::launch(*L, [](void* p) { Ctx& k = *(Ctx*)p; "
                f"{spec.name_expression(dt)}({call}); }}, &c, err, errlen);",
                "}"]
    return "\n".join(lines) + "\n"


def build_library(source: str, asan: bool = False) -> pathlib.Path:
    """Compile (or find in the cache) the simulator library of kernel ``source``."""
    path = sources.source_path(source)
    specs = kernel_specs(source)
    if not specs:
        raise ValueError(f"no kernels are registered for source {source!r}")
    text = path.read_text()
    rewritten = f'#line 1 "{path}"\n' + rewrite_shared(text)
    cxx = compiler()
    flags = BASE_FLAGS + (ASAN_FLAGS if asan else OPT_FLAGS) + sources.include_options(path)
    key = sources.digest(sources.headers(), rewritten, wrapper_source(pathlib.Path("x"), specs),
                         " ".join(flags), compiler_version(cxx))
    out_dir = cache_dir()
    lib = out_dir / f"{path.stem}{'-asan' if asan else ''}-{key}.so"
    if lib.is_file():
        return lib
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        copy = pathlib.Path(tmp) / f"{path.stem}.sim.cu"
        copy.write_text(rewritten)
        cpp = pathlib.Path(tmp) / "wrapper.cpp"
        cpp.write_text(wrapper_source(copy, specs))
        tmp_lib = pathlib.Path(tmp) / lib.name
        cmd = [cxx, *flags, str(cpp), "-o", str(tmp_lib)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise compile_error(path, cmd, res.stderr)
        os.replace(tmp_lib, lib)  # atomic: concurrent builders never see half a file
    return lib


_LIBS: Dict[tuple, ctypes.CDLL] = {}
_LOCK = threading.Lock()  # the simulator runs one launch at a time


def load_library(source: str, asan: bool = False) -> ctypes.CDLL:
    """The loaded simulator library of ``source`` (built on first use in the process)."""
    key = (source, asan, tuple(kernel_specs(source)))
    lib = _LIBS.get(key)
    if lib is None:
        if asan and not asan_loaded():
            raise RuntimeError(
                "the ASan build of the CUDA simulator needs libasan loaded first: run Python "
                "with LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0")
        lib = ctypes.CDLL(str(build_library(source, asan)))
        for spec in kernel_specs(source):
            for dt in DTYPES:
                fn = getattr(lib, symbol(spec, dt))
                fn.argtypes = [ctypes.POINTER(_Launch), ctypes.c_void_p, ctypes.c_char_p,
                               ctypes.c_int]
                fn.restype = ctypes.c_int
        _LIBS[key] = lib
    return lib


def parse_schedule(text: str):
    """``"forward"``, ``"reverse"``, ``"random"`` or ``"random:SEED"`` -> (name, seed)."""
    name, _, seed = text.partition(":")
    if name not in SCHEDULES or (seed and name != "random") or (seed and not seed.isdigit()):
        raise ValueError(f"schedule must be 'forward', 'reverse', 'random' or 'random:SEED'; "
                         f"got {text!r}")
    return name, int(seed or 0)


class SimLauncher(Launcher):
    """Launches kernels on NumPy arrays in the CPU simulator.

    ``schedule``: order the threads of a block run in between barriers
    (default ``$XPNET_CUDASIM_SCHEDULE`` or ``"forward"``); ``seed`` for
    ``"random"``; ``asan``: use the AddressSanitizer build (default
    ``$XPNET_CUDASIM_ASAN == "1"``).
    """

    xp = numpy

    def __init__(self, schedule: Optional[str] = None, seed: Optional[int] = None,
                 asan: Optional[bool] = None):
        name, env_seed = parse_schedule(schedule or os.environ.get("XPNET_CUDASIM_SCHEDULE")
                                        or "forward")
        self.schedule = name
        self.seed = env_seed if seed is None else int(seed)
        self.asan = os.environ.get("XPNET_CUDASIM_ASAN") == "1" if asan is None else bool(asan)

    def __repr__(self):
        return f"SimLauncher(schedule={self.schedule!r}, seed={self.seed}, asan={self.asan})"

    def compile(self, source, dtype):
        load_library(source, self.asan)

    def _launch(self, spec, dtype, grid, block, shared_mem, args):
        fn = getattr(load_library(spec.source, self.asan), symbol(spec, dtype))
        slots = numpy.zeros((max(len(args), 1), 8), numpy.uint8)
        for i, a in enumerate(args):
            if isinstance(a, numpy.ndarray):
                a = numpy.uint64(a.ctypes.data)
            if a is not None:
                b = numpy.frombuffer(a.tobytes(), numpy.uint8)  # little-endian scalar bytes
                slots[i, :b.size] = b
        cfg = _Launch((ctypes.c_int * 3)(*grid), (ctypes.c_int * 3)(*block), shared_mem,
                      SCHEDULES[self.schedule], self.seed)
        err = ctypes.create_string_buffer(ERR_LEN)
        with _LOCK:
            rc = fn(ctypes.byref(cfg), slots.ctypes.data, err, ERR_LEN)
        if rc != 0:
            raise RuntimeError(f"CUDA simulator: kernel {spec.name_expression(dtype)} "
                               f"(grid {grid}, block {block}) failed: {err.value.decode()}")
