"""Occupancy calculator: hand-worked cases, and agreement with NVIDIA's cuda_occupancy.h.

The hand-worked cases follow the CUDA occupancy calculator's arithmetic
(each comment shows it).  When a CUDA toolkit with ``cuda_occupancy.h`` and a
C++ compiler are installed, a sweep of random launches is also compared with
the header's own ``cudaOccMaxActiveBlocksPerMultiprocessor``.
"""
import os
import random
import shutil
import subprocess

import pytest

from xpnet.backend.cuda.occupancy import ARCH_LIMITS, occupancy

KB = 1024


@pytest.mark.parametrize("arch, threads, regs, smem, blocks, limiter", [
    # 8 warps/block; 64 regs*32 = 2048 regs/warp; 16384 regs per sub-partition -> 8 warps
    # each, 32 warps/SM -> 4 blocks (the conv forward kernel in float on A100)
    ("sm_80", 256, 64, 4160, 4, "registers"),
    # 4 warps/block; 1024 regs/warp -> 16 warps per sub-partition, 64/SM = the warp limit
    ("sm_80", 128, 32, 0, 16, "warps"),
    # Turing holds 32 warps: one 1024-thread block
    ("sm_75", 1024, 32, 0, 1, "warps"),
    # 40 regs -> 1280 regs/warp -> 12 warps per sub-partition = 48 = the sm_86 warp limit
    ("sm_86", 256, 40, 0, 6, "warps"),
    # 48 KB + 1 KB reserved = 50176 B per block; 228 KB / 50176 B = 4.65 -> 4
    ("sm_90", 128, 32, 48 * KB, 4, "shared memory"),
    # 255 regs -> 8160 -> 8192 regs/warp -> 2 warps per sub-partition, 8/SM -> 4 2-warp blocks
    ("sm_70", 64, 255, 0, 4, "registers"),
    # 128 regs * 32 threads * 32 warps = 128K registers > 64K per block: cannot launch
    ("sm_80", 1024, 128, 0, 0, "registers"),
    # one-warp blocks hit Turing's 16 resident blocks before its 32 warps
    ("sm_75", 32, 16, 0, 16, "blocks"),
    # sm_89 caps at 24 blocks per SM
    ("sm_89", 32, 16, 0, 24, "blocks"),
    # 1 B of shared memory costs a 256 B allocation unit on Volta: 96 KB / 256 = 384 > 32
    ("sm_70", 32, 16, 1, 32, "blocks"),
    # 20 KB + 1 KB reserved on sm_86: 100 KB / 21 KB = 4.76 -> 4 blocks
    ("sm_86", 64, 32, 20 * KB, 4, "shared memory"),
])
def test_hand_worked_cases(arch, threads, regs, smem, blocks, limiter):
    occ = occupancy(arch, threads, regs, shared_static=smem)
    assert occ.blocks_per_sm == blocks
    assert occ.limiter == limiter
    assert occ.warps_per_sm == blocks * -(-threads // 32)
    assert occ.fraction == occ.warps_per_sm / ARCH_LIMITS[arch].max_warps_per_sm


def test_fraction_of_docstring_example():
    assert occupancy("sm_80", 256, 64, shared_static=4160).fraction == 0.5


def test_too_many_threads_or_shared_memory_cannot_launch():
    assert occupancy("sm_80", 2048, 16).blocks_per_sm == 0
    assert occupancy("sm_75", 32, 16, shared_dynamic=65 * KB).blocks_per_sm == 0
    assert occupancy("sm_90", 32, 16, shared_dynamic=200 * KB).blocks_per_sm == 1


@pytest.mark.parametrize("kwargs, match", [
    (dict(arch="sm_61", threads_per_block=32, registers_per_thread=8), "arch"),
    (dict(arch="sm_80", threads_per_block=0, registers_per_thread=8), "threads_per_block"),
    (dict(arch="sm_80", threads_per_block=32, registers_per_thread=-1), "registers_per_thread"),
    (dict(arch="sm_80", threads_per_block=32, registers_per_thread=8, shared_static=1.5),
     "shared_static"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        occupancy(**kwargs)


# --------------------------------------------------------------------------
# cross-check with NVIDIA's header
# --------------------------------------------------------------------------
HEADER_DIRS = [os.environ.get("CUDA_HOME", ""), "/usr/local/cuda"]
HARNESS = r"""
#include <cstdio>
#include "cuda_occupancy.h"
int main() {
    int major, minor, warps, optin, smsm, reserved, threads, regs, smem, dyn;
    while (scanf("%d %d %d %d %d %d %d %d %d %d", &major, &minor, &warps, &optin, &smsm,
                 &reserved, &threads, &regs, &smem, &dyn) == 10) {
        cudaOccDeviceProp p;
        p.computeMajor = major; p.computeMinor = minor; p.maxThreadsPerBlock = 1024;
        p.maxThreadsPerMultiprocessor = warps * 32; p.regsPerBlock = 65536;
        p.regsPerMultiprocessor = 65536; p.warpSize = 32; p.sharedMemPerBlock = 48 * 1024;
        p.sharedMemPerMultiprocessor = smsm; p.numSms = 1; p.sharedMemPerBlockOptin = optin;
        p.reservedSharedMemPerBlock = reserved;
        cudaOccFuncAttributes a;
        a.maxThreadsPerBlock = 1024; a.numRegs = regs; a.sharedSizeBytes = smem;
        a.shmemLimitConfig = FUNC_SHMEM_LIMIT_OPTIN; a.maxDynamicSharedSizeBytes = optin;
        a.numBlockBarriers = 1;
        cudaOccDeviceState s;
        cudaOccResult r;
        cudaOccError e = cudaOccMaxActiveBlocksPerMultiprocessor(&r, &p, &a, &s, threads, dyn);
        printf("%d\n", e == CUDA_OCC_SUCCESS ? r.activeBlocksPerMultiprocessor : -1);
    }
}
"""


def _header_dir():
    for d in HEADER_DIRS:
        if d and os.path.exists(os.path.join(d, "include", "cuda_occupancy.h")):
            return os.path.join(d, "include")
    return None


def test_agrees_with_cuda_occupancy_header(tmp_path):
    include = _header_dir()
    cxx = shutil.which("g++") or shutil.which("c++")
    if include is None or cxx is None:
        pytest.skip("needs cuda_occupancy.h (CUDA toolkit under CUDA_HOME or /usr/local/cuda) and g++")
    src, exe = tmp_path / "occ.cpp", tmp_path / "occ"
    src.write_text(HARNESS)
    subprocess.run([cxx, "-std=c++17", "-O1", f"-I{include}", str(src), "-o", str(exe)],
                   check=True, capture_output=True)
    rng = random.Random(0)
    cases, lines = [], []
    for _ in range(3000):
        arch = rng.choice(sorted(ARCH_LIMITS))
        a = ARCH_LIMITS[arch]
        threads = rng.choice([32, 64, 96, 128, 160, 192, 256, 384, 512, 768, 1024, rng.randint(1, 1024)])
        regs = rng.randint(0, 255)
        smem = rng.choice([0, 0, rng.randint(0, 48 * KB)])
        dyn = rng.choice([0, 0, rng.randint(0, a.smem_per_block_optin - smem)])
        major, minor = int(arch[3]), int(arch[4])
        cases.append((arch, threads, regs, smem, dyn))
        lines.append(f"{major} {minor} {a.max_warps_per_sm} {a.smem_per_block_optin} "
                     f"{a.smem_per_sm} {a.reserved_smem_per_block} {threads} {regs} {smem} {dyn}")
    out = subprocess.run([str(exe)], input="\n".join(lines), capture_output=True, text=True,
                         check=True).stdout.split()
    mismatches = [(c, int(ref), occupancy(c[0], c[1], c[2], c[3], c[4]).blocks_per_sm)
                  for c, ref in zip(cases, out)
                  if int(ref) != occupancy(c[0], c[1], c[2], c[3], c[4]).blocks_per_sm]
    assert not mismatches, mismatches[:10]
