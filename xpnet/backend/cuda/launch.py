"""The one place where CUDA kernels are described, their arguments cast and launched.

Usage (for wrapper modules such as ``batchnorm.py`` and ``conv2d.py``)
---------------------------------------------------------------------
1. Declare each kernel's signature ONCE, at import of the wrapper module::

       from .launch import KernelSpec, register_kernel
       register_kernel(KernelSpec(
           name="bn_stats_partial",            # C++ name is xpnet_bn_stats_partial<T>
           source="batchnorm.cu",              # in kernels/ (or an absolute path)
           params=("const T*", "T*", "T*", "int", "long long", "long long", "long long")))

   Parameter types are exactly ``const T*``, ``T*``, ``int``, ``long long``,
   ``T``, ``float``, ``double``; ``T`` is ``float`` or ``double`` by the
   launch dtype.  The kernel is instantiated as ``xpnet_<name><float>`` and
   ``xpnet_<name><double>`` (``extra_template_args`` appends more, e.g.
   ``("64",)`` gives ``xpnet_<name><float, 64>``).  Wrapper modules are listed
   in ``WRAPPER_MODULES`` so :meth:`Launcher.precompile` finds every spec.

2. In the wrapper function, validate shapes, allocate outputs with
   ``launcher.xp`` and launch::

       launcher.launch("bn_stats_partial", x.dtype, grid=(C, chunks), block=(256,),
                       shared_mem=3 * 256 * x.itemsize, args=(x, pm, pm2, C, S, m, chunk))

   ``grid``/``block`` are 1-3 ints (x first).  ``launch`` checks that every
   pointer argument is an array of ``launcher.xp`` with the launch dtype and
   C-contiguous (``T*`` ones writeable; ``None`` passes a null pointer), casts
   every scalar to the exact C type (numpy.int32 / int64 / float32 / float64,
   range-checked), and runs the kernel.  Launchers: :class:`CupyLauncher`
   (``cupy.RawModule``) and ``simulator.SimLauncher`` (CPU, NumPy arrays,
   ``schedule="forward"|"reverse"|"random"``, ``asan=``).

Kernel source rules (what the simulator supports) are in ``kernels/cudasim.h``:
declare dynamic shared memory inside the kernel as
``extern __shared__ unsigned char xpnet_smem[];`` (any element type and name;
the simulator rewrites that line into a pointer to the launch's buffer).
A source that fails to compile raises :class:`KernelCompileError` naming the
file, the line and the compiler options.
"""
from __future__ import annotations

import abc
import dataclasses
import importlib
import pathlib
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy

from .sources import include_options, source_path

#: modules whose import registers kernel specs (imported by precompile)
WRAPPER_MODULES = ("xpnet.backend.cuda.batchnorm", "xpnet.backend.cuda.conv2d")

DTYPES = (numpy.dtype("float32"), numpy.dtype("float64"))
C_TYPE_OF_DTYPE = {numpy.dtype("float32"): "float", numpy.dtype("float64"): "double"}
PARAM_TYPES = ("const T*", "T*", "int", "long long", "T", "float", "double")
_SCALAR_TYPES = {"int": numpy.int32, "long long": numpy.int64,
                 "float": numpy.float32, "double": numpy.float64}
MAX_SHARED_MEM = 48 * 1024  # bytes of dynamic shared memory without an opt-in attribute


@dataclasses.dataclass(frozen=True)
class KernelSpec:
    """The C signature of kernel ``xpnet_<name><T, extra...>`` in ``source``."""
    name: str
    source: str
    params: Tuple[str, ...]
    extra_template_args: Tuple[str, ...] = ()

    def __post_init__(self):
        if not re.fullmatch(r"[A-Za-z_]\w*", self.name):
            raise ValueError(f"KernelSpec name must be a C identifier; got {self.name!r}")
        bad = [p for p in self.params if p not in PARAM_TYPES]
        if bad:
            raise ValueError(f"KernelSpec {self.name!r}: parameter types must be among "
                             f"{PARAM_TYPES}; got {bad}")

    def name_expression(self, dtype) -> str:
        """The C++ name of the instantiation for ``dtype``, e.g. ``xpnet_bn<float>``."""
        targs = ", ".join((C_TYPE_OF_DTYPE[numpy.dtype(dtype)],) + self.extra_template_args)
        return f"xpnet_{self.name}<{targs}>"

    def c_params(self, dtype) -> List[str]:
        """Parameter types with ``T`` resolved for ``dtype``."""
        t = C_TYPE_OF_DTYPE[numpy.dtype(dtype)]
        return [re.sub(r"\bT\b", t, p) for p in self.params]


_SPECS: Dict[str, KernelSpec] = {}


def register_kernel(spec: KernelSpec) -> KernelSpec:
    """Add ``spec`` to the registry (re-registering an identical spec is a no-op)."""
    old = _SPECS.get(spec.name)
    if old is not None and old != spec:
        raise ValueError(f"kernel {spec.name!r} is already registered with a different "
                         f"signature: {old} vs {spec}")
    _SPECS[spec.name] = spec
    return spec


def kernel_spec(name: str) -> KernelSpec:
    """The registered spec called ``name``."""
    try:
        return _SPECS[name]
    except KeyError:
        raise ValueError(f"no CUDA kernel named {name!r} is registered; known: "
                         f"{sorted(_SPECS)}") from None


def kernel_specs(source: Optional[str] = None) -> List[KernelSpec]:
    """All registered specs (of one ``source`` file), sorted by name."""
    return sorted((s for s in _SPECS.values() if source is None or s.source == source),
                  key=lambda s: s.name)


def load_all_specs() -> List[KernelSpec]:
    """Import every module of ``WRAPPER_MODULES`` (registering its kernels); all specs."""
    for m in WRAPPER_MODULES:
        importlib.import_module(m)
    return kernel_specs()


class KernelCompileError(RuntimeError):
    """A kernel source failed to compile (message: file, line, options, log)."""


def compile_error(path, options: Sequence[str], log: str,
                  cls: type = KernelCompileError) -> KernelCompileError:
    """A ``cls`` (:class:`KernelCompileError` or a subclass) for ``path``, finding the first
    error line in ``log`` (g++ ``file:line:col: error`` or NVRTC ``file(line): error``)."""
    m = re.search(r"([^\s:()]+)(?::(\d+):\d+:|\((\d+)\):)\s*(?:fatal |catastrophic )?error", log)
    where = f"{m.group(1)}, line {m.group(2) or m.group(3)}" if m else f"{path}"
    return cls(f"CUDA kernel source {path} failed to compile at {where} "
               f"(options: {' '.join(map(str, options))}):\n{log.strip()}")


def _dims(what: str, dims, limits) -> Tuple[int, int, int]:
    if isinstance(dims, (int, numpy.integer)):
        dims = (dims,)
    dims = tuple(dims)
    if not 1 <= len(dims) <= 3 or not all(isinstance(d, (int, numpy.integer)) for d in dims):
        raise ValueError(f"{what} must be 1 to 3 ints; got {dims!r}")
    dims = tuple(int(d) for d in dims) + (1,) * (3 - len(dims))
    for d, lim in zip(dims, limits):
        if not 1 <= d <= lim:
            raise ValueError(f"{what} {dims} out of range: each dimension must be in [1, {lim}] "
                             f"(limits {limits})")
    return dims


class Launcher(abc.ABC):
    """Launches registered kernels on arrays of ``xp`` (CuPy on the GPU, NumPy for the simulator)."""

    xp: Any = None

    def is_array(self, a: Any) -> bool:
        """True if ``a`` is an array this launcher can pass to a kernel (an ``xp.ndarray``)."""
        return isinstance(a, self.xp.ndarray)

    def check_array(self, a: Any, what: str) -> None:
        """Raise ``TypeError`` naming ``what`` unless :meth:`is_array` accepts ``a``."""
        if not self.is_array(a):
            raise TypeError(f"{what} must be an array of {self.xp.__name__}; got "
                            f"{type(a).__name__}")

    @abc.abstractmethod
    def _launch(self, spec: KernelSpec, dtype: numpy.dtype, grid, block, shared_mem: int,
                args: list) -> None:
        """Run ``spec`` with checked, cast ``args`` (arrays or None, numpy scalars)."""

    @abc.abstractmethod
    def compile(self, source: str, dtype) -> None:
        """Compile (or load from cache) every kernel of ``source`` for ``dtype``."""

    def precompile(self, dtypes=DTYPES) -> None:
        """Compile xpnet's kernels (sources in ``kernels/``, not test-only ones given by
        absolute path) for each dtype up front."""
        for source in sorted({s.source for s in load_all_specs() if not pathlib.Path(s.source).is_absolute()}):
            for dt in dtypes:
                self.compile(source, dt)

    def cast_args(self, spec: KernelSpec, dtype: numpy.dtype, args: Sequence[Any]) -> list:
        """Check ``args`` against ``spec`` for ``dtype``; scalars cast to their exact C type."""
        if len(args) != len(spec.params):
            raise TypeError(f"kernel {spec.name!r} takes {len(spec.params)} arguments "
                            f"{spec.params}; got {len(args)}")
        out = []
        for i, (ptype, a) in enumerate(zip(spec.params, args)):
            what = f"kernel {spec.name!r} argument {i} ({ptype})"
            if ptype.endswith("*"):
                if a is None:
                    out.append(None)
                    continue
                self.check_array(a, what)
                if a.dtype != dtype:
                    raise TypeError(f"{what} must have dtype {dtype}; got {a.dtype}")
                if not a.flags.c_contiguous:
                    raise ValueError(f"{what} must be C-contiguous; got strides {a.strides}")
                # CuPy arrays are always writeable: their flags have no `writeable`
                if not ptype.startswith("const") and not getattr(a.flags, "writeable", True):
                    raise ValueError(f"{what} is an output and must be writeable")
                out.append(a)
            elif ptype in ("int", "long long"):
                if isinstance(a, (bool, numpy.bool_)) or not isinstance(a, (int, numpy.integer)):
                    raise TypeError(f"{what} must be an int; got {type(a).__name__} {a!r}")
                info = numpy.iinfo(_SCALAR_TYPES[ptype])
                if not info.min <= int(a) <= info.max:
                    raise ValueError(f"{what} = {int(a)} does not fit in a C {ptype}")
                out.append(_SCALAR_TYPES[ptype](int(a)))
            else:
                if not isinstance(a, (int, float, numpy.integer, numpy.floating)):
                    raise TypeError(f"{what} must be a real number; got {type(a).__name__}")
                ctype = dtype.type if ptype == "T" else _SCALAR_TYPES[ptype]
                out.append(ctype(a))
        return out

    def launch(self, name: str, dtype, grid, block, shared_mem: int, args: Sequence[Any]) -> None:
        """Run kernel ``name`` instantiated for ``dtype`` on ``grid`` x ``block`` threads with
        ``shared_mem`` bytes of dynamic shared memory."""
        spec = kernel_spec(name)
        dtype = numpy.dtype(dtype)
        if dtype not in DTYPES:
            raise TypeError(f"kernel {name!r}: dtype must be float32 or float64; got {dtype}")
        grid = _dims("grid", grid, (2**31 - 1, 65535, 65535))
        block = _dims("block", block, (1024, 1024, 64))
        if block[0] * block[1] * block[2] > 1024:
            raise ValueError(f"block {block} has more than 1024 threads")
        if not isinstance(shared_mem, (int, numpy.integer)) or not 0 <= shared_mem <= MAX_SHARED_MEM:
            raise ValueError(f"shared_mem must be an int in [0, {MAX_SHARED_MEM}] bytes; "
                             f"got {shared_mem!r}")
        self._launch(spec, dtype, grid, block, int(shared_mem), self.cast_args(spec, dtype, args))


class CupyLauncher(Launcher):
    """Launches on the current CUDA device through ``cupy.RawModule``.

    One module per (source, dtype), compiled by NVRTC on first use in the process;
    CuPy's on-disk kernel cache makes later processes skip the compile.
    """

    def __init__(self):
        import cupy  # only here: importing xpnet never imports CuPy
        self.xp = cupy
        self._modules: Dict[tuple, Any] = {}

    def _module(self, source: str, dtype):
        specs = kernel_specs(source)
        key = (source, numpy.dtype(dtype), tuple(specs))
        mod = self._modules.get(key)
        if mod is None:
            path = source_path(source)
            options = ("-std=c++17",) + include_options(path)
            code = f'#line 1 "{path}"\n' + path.read_text()
            mod = self.xp.RawModule(code=code, options=options,
                                    name_expressions=[s.name_expression(dtype) for s in specs])
            try:
                mod.compile()
            except Exception as e:  # cupy.cuda.compiler.CompileException
                if type(e).__name__ != "CompileException":
                    raise
                raise compile_error(path, options, str(e)) from None
            self._modules[key] = mod
        return mod

    def compile(self, source, dtype):
        self._module(source, dtype)

    def _launch(self, spec, dtype, grid, block, shared_mem, args):
        fn = self._module(spec.source, dtype).get_function(spec.name_expression(dtype))
        args = tuple(numpy.uint64(0) if a is None else a for a in args)
        fn(grid, block, args, shared_mem=shared_mem)
