"""The physical floor under a forward call: no honest kernel can be faster.

A problem's work is counted from the reference in its process (harness.child.work): floating-point
operations and the bytes that must come from memory (every input and parameter is read at least
once; the timer flushes the caches before each call, so they come from DRAM). The floor is the
larger of work / peak compute and bytes / peak bandwidth, with peaks for the card taken generously
(above what any kernel reaches), so a time below the floor means the time is wrong, not that the
kernel is good.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..common.verdict import Work


@dataclass(frozen=True)
class Peak:
    flops_per_s: float   # the fastest dense tensor-core rate of the card, any dtype
    bytes_per_s: float   # DRAM bandwidth


# Card name prefix -> generous peaks: the datasheet's dense FP8 tensor rate (above any fp32/bf16
# kernel) and DRAM bandwidth rounded up. Unknown cards get no floor rather than a wrong one.
PEAKS: dict[str, Peak] = {
    "NVIDIA H100 80GB HBM3": Peak(flops_per_s=1979e12, bytes_per_s=3.35e12),
    "NVIDIA H100": Peak(flops_per_s=1979e12, bytes_per_s=3.9e12),
    "NVIDIA H200": Peak(flops_per_s=1979e12, bytes_per_s=4.8e12),
    "NVIDIA A100": Peak(flops_per_s=624e12, bytes_per_s=2.04e12),
}


def peak_for(device_name: str) -> Peak | None:
    for prefix in sorted(PEAKS, key=len, reverse=True):
        if device_name.startswith(prefix):
            return PEAKS[prefix]
    return None


def floor_ms(work: Work, peak: Peak | None) -> float | None:
    """The least time one forward can take on the card, in ms; None where the card is unknown."""
    if peak is None:
        return None
    return 1e3 * max(work.flops / peak.flops_per_s, work.read_bytes / peak.bytes_per_s)
