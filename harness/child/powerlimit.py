"""How long a card's clock was held down by its power or thermal limit, as its driver counts it (NVML).

A card at its power limit lowers its clock, and its power controller keeps moving it: on an H200 (700 W
limit), cuDNN's conv of the seed problem drew 525-772 W from moment to moment, its SM clock swung between 1425
and 1845 MHz about once a second, and its calls took 3.03-3.38 ms from one quarter second to the next
(docs/timing.md, "The card's power limit"). A loop timed there measures the controller's phase as much as
the kernel. The timer reads the driver's count around each loop, so a verdict can say which times came from
a card at its limit.

NVML is the driver's own library (libnvidia-ml.so.1, there wherever the NVIDIA driver is), read through
ctypes: nothing to install, and nothing heavy to import.
"""
from __future__ import annotations

import ctypes

_POWER, _THERMAL = 0, 1  # nvmlPerfPolicyType_t: NVML_PERF_POLICY_POWER, NVML_PERF_POLICY_THERMAL


class _ViolationTime(ctypes.Structure):
    _fields_ = [("referenceTime", ctypes.c_ulonglong), ("violationTime", ctypes.c_ulonglong)]


class LimitCounter:
    """Nanoseconds the card at `pci_bus_id` ("00000000:19:00.0") has spent with its clock held down by its power
    or thermal limit, counted by the driver (nvmlDeviceGetViolationStatus). Where NVML or the counter is not
    there (no NVIDIA driver, a CPU, a virtual GPU that hides it), `held_ns()` is None and `note` says why.
    `nvml` and `handle` are the opened library and the card's handle (None until opened), for readings of
    the card beside the count (bench/fidelity/power_trace.py)."""

    def __init__(self, pci_bus_id: str) -> None:
        self.note, self.nvml, self.handle = "", None, ctypes.c_void_p()
        self._counting = False
        try:
            nvml = ctypes.CDLL("libnvidia-ml.so.1")
            if nvml.nvmlInit_v2() != 0:
                self.note = "NVML would not initialise"
            elif nvml.nvmlDeviceGetHandleByPciBusId_v2(pci_bus_id.encode(), ctypes.byref(self.handle)) != 0:
                self.note = f"NVML does not know the card at {pci_bus_id}"
            else:
                self.nvml, self._counting = nvml, True
                if self.held_ns() is None:
                    self.note = "the driver does not count this card's power- and thermal-limited time"
        except (OSError, AttributeError) as exc:  # no library, or one without these entry points
            self.note = f"NVML not usable ({exc})"[:200]

    def held_ns(self) -> int | None:
        if not self._counting:
            return None
        total = 0
        for policy in (_POWER, _THERMAL):
            counted = _ViolationTime()
            try:
                failed = self.nvml.nvmlDeviceGetViolationStatus(self.handle, policy, ctypes.byref(counted)) != 0
            except AttributeError:
                failed = True
            if failed:
                self._counting = False
                return None
            total += counted.violationTime
        return total


def held_share(before_ns: int | None, after_ns: int | None, seconds: float) -> float | None:
    """The share of `seconds` of wall time that the counter says the clock was held down, 0 to 1 (the driver's
    count and the host's clock are not the same clock: a share a hair over 1 is 1)."""
    if before_ns is None or after_ns is None or seconds <= 0:
        return None
    return round(min(1.0, max(0, after_ns - before_ns) / 1e9 / seconds), 3)
