"""``xpnet info``: versions of xpnet and what it runs on, and which backends are usable here.

Prints xpnet's version and install path, Python, the platform and CPU
count, NumPy and its BLAS, CuPy with the CUDA runtime and driver versions
and the devices it sees, NVRTC (the compiler our kernels are checked with),
PyTorch (an optional peer for ``bench``), and every registered backend with
"usable" or the reason it is not.  ``--json`` prints the same as one JSON
object, for bug reports and scripts::

    $ xpnet info
    xpnet     0.1.0  /home/me/xpnet/xpnet
    ...
    backends
      numpy             usable
      cupy              not usable: no CUDA device is available (...)

Every probe that fails (no driver, no GPU, a missing library) is reported
with its error text instead of stopping the command; CuPy is imported only
here, when the command runs (importing xpnet never imports it).  Versions
of the CUDA runtime and driver are shown as ``major.minor`` from CUDA's
integer ``1000 * major + 10 * minor``; a driver version of 0 means no
driver is installed.
"""
from __future__ import annotations

import ctypes
import importlib.metadata
import json
import os
import platform
import sys
from typing import Any, Callable, Dict, Optional

import numpy

from ._parser import add_command

Info = Dict[str, Any]
EXAMPLES = """examples:
  xpnet info           # paste this into a bug report
  xpnet info --json    # the same as one JSON object, for scripts
"""


def add_parser(sub) -> None:
    p = add_command(sub, "info", __doc__, EXAMPLES,
                    help="versions of xpnet, NumPy, CuPy, CUDA; which backends are usable")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(run=run)


def run(args) -> int:
    info = collect()
    print(json.dumps(info, indent=2) if args.json else format_text(info))
    return 0


# --------------------------------------------------------------------------
# probes: each returns plain data; a failure becomes its error text
# --------------------------------------------------------------------------
def probe(fn: Callable[[], Any]) -> Any:
    """``fn()``, or ``"error: <Type>: <message>"`` if it raises (nothing here may stop ``info``)."""
    try:
        return fn()
    except Exception as e:  # CUDARuntimeError, OSError from a library, ...
        return f"error: {type(e).__name__}: {e}"


def cuda_version(v: int) -> str:
    """CUDA's integer version ``1000 * major + 10 * minor`` as ``"major.minor"`` (0: none)."""
    return f"{v // 1000}.{v % 1000 // 10}" if v else "none (no CUDA driver found)"


def package_version(name: str) -> Optional[str]:
    """The installed distribution's version, or None (without importing the package)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def numpy_info() -> Info:
    def blas():
        deps = numpy.show_config(mode="dicts")["Build Dependencies"]
        return {k: f"{deps[k].get('name')} {deps[k].get('version')}" for k in ("blas", "lapack")
                if k in deps}
    found = probe(blas)
    return {"version": numpy.__version__, **(found if isinstance(found, dict) else {"blas": found})}


def cupy_info(cupy) -> Info:
    """CuPy's version, the CUDA runtime and driver versions and the devices, from module ``cupy``."""
    rt = cupy.cuda.runtime

    def devices():
        out = []
        for i in range(rt.getDeviceCount()):
            props = rt.getDeviceProperties(i)
            name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
            out.append(f"{i}: {name} (sm_{props['major']}{props['minor']}, "
                       f"{props['totalGlobalMem'] / 2**30:.1f} GiB)")
        return out
    return {"version": cupy.__version__,
            "cuda_runtime": probe(lambda: cuda_version(rt.runtimeGetVersion())),
            "cuda_driver": probe(lambda: cuda_version(rt.driverGetVersion())),
            "devices": probe(devices)}


def nvrtc_info() -> Info:
    """NVRTC's version (loaded as ``bench --kernels`` loads it) and its pip wheel's."""
    from ..backend.cuda import nvrtc

    def version():
        lib = nvrtc.load_nvrtc()
        major, minor = ctypes.c_int(), ctypes.c_int()
        status = lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
        if status != 0:
            raise RuntimeError(f"nvrtcVersion returned status {status}")
        return f"{major.value}.{minor.value}"
    return {"version": probe(version), "wheel": package_version("nvidia-cuda-nvrtc-cu12")}


def backends_info() -> Dict[str, Info]:
    """Every registered backend: ``{"usable": bool, "reason": why not or None}``."""
    from ..backend import backend_names, backend_unavailable_reason

    def one(name):
        reason = probe(lambda: backend_unavailable_reason(name))
        return {"usable": reason is None, "reason": reason}
    return {name: one(name) for name in backend_names()}


def collect() -> Info:
    """Everything ``xpnet info`` shows, as JSON-ready data (imports CuPy if installed)."""
    import xpnet
    try:
        import cupy
    except ImportError as e:
        cupy_part: Info = {"version": None, "error": f"not installed ({e})"}
    else:
        cupy_part = cupy_info(cupy)
    return {
        "xpnet": {"version": xpnet.__version__, "path": os.path.dirname(xpnet.__file__)},
        "python": {"version": platform.python_version(),
                   "implementation": platform.python_implementation(),
                   "executable": sys.executable},
        "platform": {"system": platform.platform(), "machine": platform.machine(),
                     "cpus": os.cpu_count(),
                     "cpus_usable": len(os.sched_getaffinity(0))
                     if hasattr(os, "sched_getaffinity") else os.cpu_count()},
        "numpy": numpy_info(),
        "cupy": cupy_part,
        "nvrtc": nvrtc_info(),
        "torch": {"version": package_version("torch")},
        "backends": backends_info(),
    }


# --------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------
def format_text(info: Info) -> str:
    """The human-readable form of :func:`collect`'s data (one fact per line)."""
    def missing(v, what="not installed"):
        return what if v is None else v
    x, py, pl, np_, cp, nv = (info[k] for k in ("xpnet", "python", "platform", "numpy", "cupy",
                                                  "nvrtc"))
    lines = [
        f"xpnet     {x['version']}  {x['path']}",
        f"python    {py['version']} ({py['implementation']})  {py['executable']}",
        f"platform  {pl['system']}, {pl['machine']}, {pl['cpus']} CPUs ({pl['cpus_usable']} usable)",
        f"numpy     {np_['version']}" + "".join(f", {k.upper()} {np_[k]}" for k in ("blas", "lapack")
                                                  if k in np_),
        f"cupy      {missing(cp['version'], cp.get('error'))}",
    ]
    if cp["version"] is not None:
        devices = cp["devices"]
        lines += [f"  CUDA runtime  {cp['cuda_runtime']}", f"  CUDA driver   {cp['cuda_driver']}",
                  "  devices       " + (devices if isinstance(devices, str)
                                        else "; ".join(devices) or "none")]
    lines += [f"nvrtc     {nv['version']}" + (f"  (wheel nvidia-cuda-nvrtc-cu12 {nv['wheel']})"
                                             if nv["wheel"] else ""),
              f"torch     {missing(info['torch']['version'])}",
              "backends"]
    width = max(map(len, info["backends"]))
    lines += [f"  {name:<{width}}  {'usable' if b['usable'] else 'not usable: ' + b['reason']}"
              for name, b in info["backends"].items()]
    return "\n".join(lines)
