"""Theoretical occupancy of a kernel launch, following NVIDIA's ``cuda_occupancy.h``.

Occupancy = resident warps per SM / maximum warps per SM.  The number of
blocks that can be resident on one SM is the minimum of four limits:

* **warps**: ``max_warps_per_sm // ceil(threads / 32)``;
* **blocks**: the hardware cap on resident blocks per SM;
* **registers**: registers are allocated per warp, ``regs * 32`` rounded up to
  256, from each of the 4 SM sub-partitions (``regs_per_sm / 4`` each), so
  ``blocks = 4 * ((regs_per_sm / 4) // regs_per_warp) // warps_per_block``;
  a block is refused if ``regs_per_warp * roundup(warps_per_block, 4)``
  exceeds the 64K registers per block or a thread uses more than 255;
* **shared memory**: ``static + dynamic + reserved`` (1 KB reserved by the
  driver per block from sm_80 on) rounded up to the allocation granularity
  (256 B before sm_80, 128 B after), into the SM's shared memory (the default
  carveout, i.e. the largest shared-memory configuration).

The per-arch numbers below are those of the CUDA 13 ``cuda_occupancy.h`` and
the CUDA C++ Programming Guide's table "Technical Specifications per Compute
Capability"; ``tests/cuda/test_occupancy.py`` checks this module against the
header itself when it is installed.

>>> occupancy("sm_80", threads_per_block=256, registers_per_thread=64,
...           shared_static=4160).fraction
0.5

See also: :mod:`xpnet.backend.cuda.nvrtc` (where the register and shared
memory figures come from).
"""
from __future__ import annotations

import dataclasses
from typing import Dict

KB = 1024
WARP_SIZE = 32


@dataclasses.dataclass(frozen=True)
class ArchLimits:
    """Per-SM resource limits of one compute capability."""
    arch: str
    max_warps_per_sm: int
    max_blocks_per_sm: int
    smem_per_sm: int               # bytes, largest carveout
    smem_per_block_optin: int      # bytes a block may use after opting in
    smem_alloc_unit: int           # bytes
    reserved_smem_per_block: int   # bytes reserved by the driver per block
    regs_per_sm: int = 64 * KB
    regs_per_block: int = 64 * KB
    max_regs_per_thread: int = 255
    reg_alloc_unit: int = 256      # registers, per warp
    sub_partitions: int = 4
    max_threads_per_block: int = 1024
    smem_per_block_default: int = 48 * KB   # without opt-in (static shared memory cap)


ARCH_LIMITS: Dict[str, ArchLimits] = {a.arch: a for a in (
    #          arch     warps blocks  smem/SM    opt-in/block unit reserved
    ArchLimits("sm_70", 64, 32, 96 * KB, 96 * KB, 256, 0),        # V100
    ArchLimits("sm_75", 32, 16, 64 * KB, 64 * KB, 256, 0),        # T4, RTX 20xx
    ArchLimits("sm_80", 64, 32, 164 * KB, 163 * KB, 128, 1 * KB),  # A100
    ArchLimits("sm_86", 48, 16, 100 * KB, 99 * KB, 128, 1 * KB),   # RTX 30xx, A10
    ArchLimits("sm_89", 48, 24, 100 * KB, 99 * KB, 128, 1 * KB),   # RTX 40xx, L4, L40
    ArchLimits("sm_90", 64, 32, 228 * KB, 227 * KB, 128, 1 * KB),  # H100, H200
)}


@dataclasses.dataclass(frozen=True)
class Occupancy:
    """Result of :func:`occupancy`."""
    arch: str
    blocks_per_sm: int
    warps_per_sm: int      # resident warps
    max_warps_per_sm: int
    limiter: str           # "warps", "blocks", "registers" or "shared memory"
    limits: Dict[str, int]  # blocks per SM allowed by each resource

    @property
    def fraction(self) -> float:
        """Resident warps / maximum warps, in [0, 1]."""
        return self.warps_per_sm / self.max_warps_per_sm


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}")
    return value


def occupancy(arch: str, threads_per_block: int, registers_per_thread: int,
              shared_static: int = 0, shared_dynamic: int = 0) -> Occupancy:
    """Theoretical occupancy of a kernel on ``arch`` (e.g. ``"sm_80"``).

    Args:
        threads_per_block: block size (1..1024; larger gives 0 blocks).
        registers_per_thread: from ptxas (``Used N registers``).
        shared_static: bytes of static ``__shared__`` per block (ptxas ``smem``).
        shared_dynamic: bytes of dynamic shared memory passed at launch.

    Returns an :class:`Occupancy`; ``blocks_per_sm == 0`` means the launch
    cannot run (too many threads, registers or shared memory per block).
    """
    if arch not in ARCH_LIMITS:
        raise ValueError(f"arch must be one of {', '.join(ARCH_LIMITS)}; got {arch!r}")
    _check_int("threads_per_block", threads_per_block, 1)
    _check_int("registers_per_thread", registers_per_thread, 0)
    _check_int("shared_static", shared_static, 0)
    _check_int("shared_dynamic", shared_dynamic, 0)
    a = ARCH_LIMITS[arch]
    warps_per_block = _ceil_div(threads_per_block, WARP_SIZE)
    big = 1 << 30

    # warp slots (a block larger than the device maximum cannot launch at all)
    by_warps = 0 if threads_per_block > a.max_threads_per_block else a.max_warps_per_sm // warps_per_block

    # registers: allocated per warp, in units of reg_alloc_unit, per sub-partition
    regs_per_warp = _ceil_div(registers_per_thread * WARP_SIZE, a.reg_alloc_unit) * a.reg_alloc_unit
    hw_regs_per_block = regs_per_warp * _ceil_div(warps_per_block, a.sub_partitions) * a.sub_partitions
    if (registers_per_thread > a.max_regs_per_thread or hw_regs_per_block > a.regs_per_block
            or regs_per_warp * warps_per_block > a.regs_per_block):
        by_regs = 0
    elif regs_per_warp == 0:
        by_regs = big
    else:
        warps_per_partition = (a.regs_per_sm // a.sub_partitions) // regs_per_warp
        by_regs = warps_per_partition * a.sub_partitions // warps_per_block

    # shared memory
    smem = shared_static + shared_dynamic + a.reserved_smem_per_block
    smem_alloc = _ceil_div(smem, a.smem_alloc_unit) * a.smem_alloc_unit
    if smem_alloc > a.smem_per_block_optin + a.reserved_smem_per_block or shared_static > a.smem_per_block_default:
        by_smem = 0
    elif smem_alloc == 0:
        by_smem = big
    else:
        by_smem = a.smem_per_sm // smem_alloc

    limits = {"warps": by_warps, "blocks": a.max_blocks_per_sm, "registers": by_regs,
              "shared memory": by_smem}
    limiter = min(limits, key=lambda k: limits[k])   # first minimal one, in the order above
    blocks = limits[limiter]
    return Occupancy(arch, blocks, blocks * warps_per_block, a.max_warps_per_sm, limiter,
                     {k: min(v, big) for k, v in limits.items()})
