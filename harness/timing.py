"""Time one forward call, the same way for the reference and the solution.

Each timed call: flush the last-level cache, mark the start, call, wait for
the *whole device* (work on other streams counts), mark the end. Calls repeat
until the median's 95% interval is narrow enough or the time budget is spent.

The clock functions are bound when this module is imported, which the worker
does before any solution code runs, so rebinding torch.cuda.synchronize or
time.perf_counter_ns later does not reach the timer.
"""
from __future__ import annotations

import math
import time
from typing import Callable

import torch

from .config import TimingProfile
from .verdict import Timing

_perf_counter_ns = time.perf_counter_ns
_monotonic = time.monotonic
_cuda_synchronize = torch.cuda.synchronize
_current_stream = torch.cuda.current_stream
_EventBase = getattr(torch._C, "_CudaEventBase", None)
_event_record = getattr(_EventBase, "record", None)
_event_elapsed = getattr(_EventBase, "elapsed_time", None)
_event_synchronize = getattr(_EventBase, "synchronize", None)


def median_ci(samples: list[float]) -> tuple[float, float, float]:
    """Median with a distribution-free 95% interval from order statistics."""
    s = sorted(samples)
    n = len(s)
    mid = n // 2
    median = s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2
    half = 1.96 * math.sqrt(n) / 2
    lo = max(0, math.floor(n / 2 - half) - 1)
    hi = min(n - 1, math.ceil(n / 2 + half))
    return median, s[lo], s[hi]


def _cache_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return int(getattr(props, "L2_cache_size", 0) or 50 << 20)
    try:
        with open("/sys/devices/system/cpu/cpu0/cache/index3/size") as f:
            text = f.read().strip()
        return int(text[:-1]) << 10 if text.endswith("K") else int(text)
    except (OSError, ValueError):
        return 32 << 20


def _timed_call_cuda(fn: Callable[[], object], flush: Callable[[], object]) -> float:
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    flush()
    _cuda_synchronize()  # the device is idle at the start mark: no work of fn's can overlap the flush
    stream = _current_stream()
    _event_record(start, stream)
    fn()
    _cuda_synchronize()  # device-wide: work on any stream finishes before the end mark
    _event_record(end, stream)
    _event_synchronize(end)
    return _event_elapsed(start, end)


def _timed_call_host(fn: Callable[[], object], flush: Callable[[], object]) -> float:
    flush()
    t0 = _perf_counter_ns()
    fn()
    return (_perf_counter_ns() - t0) / 1e6


def measure(fn: Callable[[], object], device: torch.device, profile: TimingProfile = TimingProfile()) -> Timing:
    """Warm up, then time calls of `fn` until the median is known well enough."""
    flush_buffer = torch.empty(2 * _cache_bytes(device) // 4, dtype=torch.int32, device=device)
    flush = flush_buffer.zero_
    on_gpu = device.type == "cuda"
    timed_call = _timed_call_cuda if on_gpu else _timed_call_host

    began = _monotonic()
    warm_until = began + profile.warmup_seconds
    calls = 0
    while calls < profile.warmup_calls or (_monotonic() < warm_until and calls < 100):
        fn()
        calls += 1
    if on_gpu:
        _cuda_synchronize()

    samples: list[float] = []
    timed_from = _monotonic()
    while len(samples) < profile.max_calls:
        samples.append(timed_call(fn, flush))
        if len(samples) >= profile.min_calls:
            median, lo, hi = median_ci(samples)
            if median > 0 and (hi - lo) / median <= profile.target_rel_width:
                break
            if _monotonic() - timed_from > profile.max_seconds:
                break
    median, lo, hi = median_ci(samples)
    return Timing(median_ms=median, ci_low_ms=lo, ci_high_ms=hi, calls=len(samples),
                  seconds=round(_monotonic() - began, 3), clock="cuda-events" if on_gpu else "host")
