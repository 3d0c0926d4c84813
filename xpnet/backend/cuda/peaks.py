"""Peak arithmetic throughput and memory bandwidth of NVIDIA GPUs, for "fraction of peak".

:func:`device_peaks` turns the properties CUDA reports for a device
(``cupy.cuda.runtime.getDeviceProperties``: ``name``, ``multiProcessorCount``,
``clockRate`` in kHz, ``memoryClockRate`` in kHz, ``memoryBusWidth`` in bits,
``major``/``minor``, ``totalGlobalMem`` in bytes) into a :class:`DevicePeaks`:

* **known data-center GPUs** (:data:`KNOWN_GPUS`, matched by name): the
  quoted peaks.  FP32 (no tensor cores) and HBM bandwidth of the A100 80GB
  SXM, H100 SXM and H200 are NVIDIA's published figures; FP64
  (non-tensor) and the A100 40GB / H100 PCIe rows are from NVIDIA's data
  sheets.  An A100 reporting less than 60 GB of memory is the 40GB model.
* **any other GPU**: an estimate from the properties,
  ``FP32 = 2 (FMA) * SMs * FP32 lanes per SM (by compute capability) * clock``,
  ``FP64 = FP32 * FP64:FP32 ratio (by compute capability)``,
  ``bandwidth = 2 (double data rate) * memory clock * bus width / 8``.
  The clock CUDA reports is the boost clock, so this is the same kind of
  "peak" as the data sheets (e.g. an A100 gives 2 * 108 * 64 * 1.41 GHz =
  19.5 TFLOP/s and 2 * 1.215 GHz * 5120 / 8 = 1.56 TB/s for the 40GB model).

>>> p = device_peaks({"name": b"NVIDIA H100 80GB HBM3", "multiProcessorCount": 132,
...                   "clockRate": 1980000, "major": 9, "minor": 0})
>>> p.flops("float32") / 1e12, p.bandwidth / 1e12
(66.9, 3.35)
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Optional, Tuple

import numpy

GB = 1e9


@dataclasses.dataclass(frozen=True)
class DevicePeaks:
    """Peak FP32 and FP64 FLOP/s and memory bytes/s of one device (None if unknown)."""
    name: str
    sms: Optional[int]
    clock_ghz: Optional[float]
    fp32: Optional[float]
    fp64: Optional[float]
    bandwidth: Optional[float]
    source: str                 # where the figures come from, printed under the bench table

    def flops(self, dtype) -> Optional[float]:
        """Peak FLOP/s for arithmetic in ``dtype`` (float32 or float64)."""
        dt = numpy.dtype(dtype)
        if dt == numpy.float32:
            return self.fp32
        if dt == numpy.float64:
            return self.fp64
        raise ValueError(f"dtype must be float32 or float64; got {dt}")


#: (label, name must contain all of, name must contain none of, FP32, FP64, bytes/s)
KNOWN_GPUS: Tuple[tuple, ...] = (
    ("H200", ("H200",), (), 66.9e12, 33.5e12, 4.8e12),
    ("H100 PCIe", ("H100", "PCIE"), (), 51.2e12, 25.6e12, 2.0e12),
    ("H100 SXM", ("H100",), ("PCIE",), 66.9e12, 33.5e12, 3.35e12),
    ("A100 40GB", ("A100", "40GB"), (), 19.5e12, 9.7e12, 1.555e12),
    ("A100 80GB SXM", ("A100",), (), 19.5e12, 9.7e12, 2.04e12),
)

#: FP32 lanes per SM and the FP64:FP32 throughput ratio, by compute capability
#: (CUDA C++ Programming Guide, "Arithmetic Instructions" throughput table)
FP32_LANES = {(6, 0): 64, (6, 1): 128, (7, 0): 64, (7, 2): 64, (7, 5): 64, (8, 0): 64,
              (8, 6): 128, (8, 7): 128, (8, 9): 128, (9, 0): 128}
FP64_RATIO = {(6, 0): 1 / 2, (7, 0): 1 / 2, (8, 0): 1 / 2, (9, 0): 1 / 2}
DEFAULT_FP32_LANES, DEFAULT_FP64_RATIO = 128, 1 / 64   # consumer parts of newer generations


def _text(value) -> str:
    return value.decode(errors="replace").rstrip("\0") if isinstance(value, bytes) else str(value)


def known_gpu(name: str, total_memory: Optional[int] = None) -> Optional[tuple]:
    """The :data:`KNOWN_GPUS` row matching device ``name`` (case-insensitive), or None."""
    upper = name.upper()
    if "A100" in upper and total_memory and total_memory < 60 * GB:
        upper += " 40GB"   # an A100 whose name does not give its memory size
    for row in KNOWN_GPUS:
        need, refuse = row[1:3]
        if all(s in upper for s in need) and not any(s in upper for s in refuse):
            return row
    return None


def known_gpu_peaks(label: str) -> Tuple[float, float, float]:
    """(FP32 FLOP/s, FP64 FLOP/s, bytes/s) of the :data:`KNOWN_GPUS` row called ``label``."""
    for row in KNOWN_GPUS:
        if row[0] == label:
            return row[3:]
    raise ValueError(f"label must be one of {[r[0] for r in KNOWN_GPUS]}; got {label!r}")


def device_peaks(props: Mapping) -> DevicePeaks:
    """Peaks of the device described by ``props`` (keys as CUDA's ``cudaDeviceProp``)."""
    name = _text(props.get("name", "unknown GPU"))
    sms = props.get("multiProcessorCount")
    clock_khz = props.get("clockRate")
    clock_ghz = clock_khz / 1e6 if clock_khz else None
    row = known_gpu(name, props.get("totalGlobalMem"))
    if row is not None:
        label, _, _, fp32, fp64, bw = row
        return DevicePeaks(name, sms, clock_ghz, fp32, fp64, bw,
                           f"quoted peaks of the {label} (NVIDIA data sheet)")
    cc = (props.get("major"), props.get("minor"))
    lanes = FP32_LANES.get(cc, DEFAULT_FP32_LANES)
    ratio = FP64_RATIO.get(cc, DEFAULT_FP64_RATIO)
    fp32 = 2.0 * sms * lanes * clock_khz * 1e3 if sms and clock_khz else None
    mem_khz, bus_bits = props.get("memoryClockRate"), props.get("memoryBusWidth")
    bw = 2.0 * mem_khz * 1e3 * bus_bits / 8 if mem_khz and bus_bits else None
    return DevicePeaks(name, sms, clock_ghz, fp32, None if fp32 is None else fp32 * ratio, bw,
                       f"estimated: 2 x {sms} SMs x {lanes} FP32 lanes (sm_{cc[0]}{cc[1]}) x "
                       f"clock; FP64 = FP32 x {ratio:g}; 2 x memory clock x bus width")


def fraction_of_peak(flops: float, nbytes: float, seconds: float, dtype,
                     peaks: Optional[DevicePeaks]) -> Optional[float]:
    """Achieved / peak: FLOP/s over the dtype's peak if ``flops`` else bytes/s over the bandwidth.

    None when the peak is unknown or there is no work figure.
    """
    if peaks is None or not seconds or seconds <= 0:
        return None
    if flops:
        peak = peaks.flops(dtype)
        return None if not peak else flops / seconds / peak
    if nbytes:
        return None if not peaks.bandwidth else nbytes / seconds / peaks.bandwidth
    return None


__all__ = ["DevicePeaks", "KNOWN_GPUS", "known_gpu", "known_gpu_peaks", "device_peaks", "fraction_of_peak"]
