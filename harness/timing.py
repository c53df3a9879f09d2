"""Time one forward call, the same way for the reference and the solution.

Each timed call: give the inputs new contents (`before_call`), reset the
persisting-L2 carve-out, flush the last-level cache by reading a buffer twice
its size (reading leaves clean lines: no write-back of the flush's own data
lands in the timed call), mark the start on an idle device, call, wait for
the *whole device* (work on other streams counts), mark the end.
Calls repeat until the median's 95% interval is narrow enough (and at least
`min_seconds` have been timed) or the time budget is spent. Empty calls timed
the same way, between them, tell how fast the host ran meanwhile. A few calls,
chosen by the parent, are not timed but checked: their outputs are copied the
moment the device is idle and handed to `on_checked` (work finished later,
by a thread, comes too late for them).

The loop reports raw samples; the parent computes the statistics
(harness.stats), pooling several loops of one model where it ran more.

The clock functions are bound when this module is imported, which the worker
does before any solution code runs, so rebinding torch.cuda.synchronize or
time.perf_counter_ns later does not reach the timer.
"""
from __future__ import annotations

import ctypes
import time
from typing import Any, Callable

import torch

from .config import TimingProfile
from .stats import median_ci

_perf_counter_ns = time.perf_counter_ns
_monotonic = time.monotonic
_cuda_synchronize = torch.cuda.synchronize
_current_stream = torch.cuda.current_stream
_EventBase = getattr(torch._C, "_CudaEventBase", None)
_event_record = getattr(_EventBase, "record", None)
_event_elapsed = getattr(_EventBase, "elapsed_time", None)
_event_synchronize = getattr(_EventBase, "synchronize", None)
_CUDA_LIMIT_PERSISTING_L2 = 0x06  # cudaLimitPersistingL2CacheSize
_EMPTY_CALLS = 5   # empty calls timed after the warm-up, and one after every _EMPTY_EVERY timed calls: their
_EMPTY_EVERY = 4   # median is the timer's own cost while the loop ran (reported; harness.stats reads it)


def _load_cudart() -> Any:
    """The CUDA runtime torch itself loaded (same context), or None on CPU-only builds."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "libcudart.so" in line}
        return ctypes.CDLL(sorted(paths)[0]) if paths else None
    except (OSError, IndexError):
        return None


_cudart = _load_cudart() if torch.version.cuda else None


def persisting_l2_limit() -> int | None:
    """Bytes of L2 set aside for persisting accesses (cudaDeviceGetLimit), None where unknown."""
    if _cudart is None or not torch.cuda.is_initialized():
        return None
    value = ctypes.c_size_t(0)
    if _cudart.cudaDeviceGetLimit(ctypes.byref(value), _CUDA_LIMIT_PERSISTING_L2) != 0:
        return None
    return value.value


def reset_persisting_l2() -> None:
    """Demote every persisting L2 line to normal, so the flush that follows evicts it. (A solution that
    enlarges the persisting carve-out is rejected by the guard, which watches persisting_l2_limit.)"""
    if _cudart is not None:
        _cudart.cudaCtxResetPersistingL2Cache()


def _nothing() -> None:
    return None


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
    reset_persisting_l2()
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


def _checked_call(fn: Callable[[], Any], flush: Callable[[], object], on_gpu: bool) -> list[torch.Tensor]:
    """Run like a timed call, but copy the outputs as soon as the device is idle instead of timing."""
    if on_gpu:
        reset_persisting_l2()
    flush()
    result = fn()
    if on_gpu:
        _cuda_synchronize()
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    copies = [t.detach().clone() if isinstance(t, torch.Tensor) else t for t in items]  # at device speed
    return [t.to("cpu") if isinstance(t, torch.Tensor) else t for t in copies]


def measure(fn: Callable[[], Any], device: torch.device, profile: TimingProfile = TimingProfile(), *,
            before_call: Callable[[int], object] = lambda index: None, checked: frozenset[int] = frozenset(),
            on_checked: Callable[[int, list[Any]], object] = lambda index, outputs: None) -> dict[str, Any]:
    """Warm up, then time calls of `fn` until the median is known well enough; the raw report (stats.timing_of).

    `before_call(i)` runs untimed before call i (warm-up calls count down from -1); the timed calls
    whose index is in `checked` are run untimed and their outputs go to `on_checked(i, outputs)`.
    """
    flush_buffer = torch.zeros(2 * _cache_bytes(device) // 4, dtype=torch.float32, device=device)
    flush = flush_buffer.sum  # a float sum reads at full speed on both devices (an int32 sum does not on CPUs)
    on_gpu = device.type == "cuda"
    timed_call = _timed_call_cuda if on_gpu else _timed_call_host

    began = _monotonic()
    warm_until = began + profile.warmup_seconds
    calls = 0
    while calls < profile.warmup_calls or (_monotonic() < warm_until and calls < 2000):
        calls += 1
        before_call(-calls)
        fn()
        if on_gpu:  # the warm-up's time is the card's: the host must not queue seconds of calls ahead of it
            _cuda_synchronize()
    empties = [timed_call(_nothing, flush) for _ in range(_EMPTY_CALLS)]

    samples: list[float] = []
    timed_from = _monotonic()
    index = 0
    while len(samples) < profile.max_calls:
        before_call(index)
        if index in checked:
            on_checked(index, _checked_call(fn, flush, on_gpu))
        else:
            samples.append(timed_call(fn, flush))
            if len(samples) % _EMPTY_EVERY == 0:
                empties.append(timed_call(_nothing, flush))
        index += 1
        elapsed = _monotonic() - timed_from
        if len(samples) >= profile.min_calls and index > max(checked, default=-1) and elapsed >= profile.min_seconds:
            median, lo, hi = median_ci(samples)
            if median > 0 and (hi - lo) / median <= profile.target_rel_width:
                break
            if elapsed > profile.max_seconds:
                break
    return {"samples": samples, "seconds": round(_monotonic() - began, 3), "empty_call_ms": median_ci(empties)[0],
            "clock": "cuda-events" if on_gpu else "host"}
