"""Time one forward call, the same way for the reference and the solution.

Each timed call: give the inputs new contents (`before_call`), reset the
persisting-L2 carve-out, flush the last-level cache by reading a buffer twice
its size (reading leaves clean lines: no write-back of the flush's own data
lands in the timed call), mark the start on an idle device, call, wait for
the *whole device* (work on other streams counts), mark the end.

On a GPU the calls take several input buffers in turn, and the last outputs
are kept alive so that each call's outputs land in another buffer
(`placements`): where a buffer lies moves a memory-bound kernel's time.

On a GPU each call is timed by two clocks. CUDA events give the host-inclusive
time from the start mark to the end mark. CUPTI, through torch's Kineto
profiler (CUDA activities only), gives the device's own record: the span from
the first to the last thing the device ran for the call, on any stream, found
between a marker kernel launched before the start mark and one launched after
the end mark (`DeviceSpans`). The span leaves out the timer's own lead (the host
reaching the first launch) and tail (noticing the end), tens of µs that are
not the kernel's; the parent decides which clock a grade uses (harness.common.stats).

Calls repeat until the median's 95% interval is narrow enough (and at least
`min_seconds` have been timed) or the time budget is spent, judged by the clock
the loop would be timed by: on a GPU the spans, whose record is read between
calls when the loop may first stop and then at doubling lengths (so reading
stays a fraction of the loop), where they are believable. Empty calls timed
the same way, between them, tell how fast the host ran meanwhile. A few calls,
chosen by the parent, are not timed but checked: they run exactly as timed
calls do, and their outputs are handed to `on_checked` the moment the device
is idle (work finished later, by a thread, comes too late for them).

Around the timed calls the timer also reads the driver's count of time the card's clock was held down by its
power or thermal limit (harness.child.powerlimit): the report says what share of the loop ran that way. On the
host clock it reads the scheduler's count of the time the process's threads waited for a CPU
(harness.child.cpuwait): the report says what share of their ready time they waited, other processes holding
the cores.

The loop reports raw samples; the parent computes the statistics
(harness.common.stats), pooling several loops of one model where it ran more.

The clock functions are bound when this module is imported, which every child
does before any solution code runs, so rebinding torch.cuda.synchronize,
time.perf_counter_ns or the profiler's Python wrappers later does not reach the
timer.
"""
from __future__ import annotations

import ctypes
import time
from collections import deque
from typing import Any, Callable

import torch

from ..common.settings import TimingProfile
from ..common.stats import BadSamples, LoopReport, median_ci, settled, span_refusal, steady
from .cpuwait import thread_times, waited_share
from .powerlimit import LimitCounter, held_share
from .tensors import listed, tensor_bytes

_perf_counter_ns = time.perf_counter_ns
_monotonic = time.monotonic
_cuda_synchronize = torch.cuda.synchronize
_current_stream = torch.cuda.current_stream
_EventBase = getattr(torch._C, "_CudaEventBase", None)
_event_record = getattr(_EventBase, "record", None)
_event_elapsed = getattr(_EventBase, "elapsed_time", None)
_event_synchronize = getattr(_EventBase, "synchronize", None)
_cuda_sleep = getattr(torch._C, "_cuda_sleep", None)  # the marker kernel: torch.cuda._sleep's spin_kernel
_MARKER_KERNEL = "spin_kernel"
_autograd, _profiler = torch._C._autograd, torch._C._profiler
_prepare_profiler, _enable_profiler, _disable_profiler = (
    _autograd._prepare_profiler, _autograd._enable_profiler, _autograd._disable_profiler)
_ProfilerConfig, _ExperimentalConfig, _KINETO = (
    _profiler.ProfilerConfig, _profiler._ExperimentalConfig, _profiler.ProfilerState.KINETO)
_CUDA_ACTIVITY, _DEVICE_CUDA = _profiler.ProfilerActivity.CUDA, _autograd.DeviceType.CUDA
_result_events = _autograd._ProfilerResult.events
_event_name, _event_start_ns, _event_end_ns, _event_device_type = (
    _autograd._KinetoEvent.name, _autograd._KinetoEvent.start_ns, _autograd._KinetoEvent.end_ns,
    _autograd._KinetoEvent.device_type)
_CUDA_LIMIT_PERSISTING_L2 = 0x06  # cudaLimitPersistingL2CacheSize
_EMPTY_CALLS = 5   # empty calls timed after the warm-up, and one after every _EMPTY_EVERY timed calls: their
_EMPTY_EVERY = 4   # median is the timer's own cost while the loop ran (reported; harness.common.stats reads it)
_WARMUP_MAX_CALLS = 2000  # warm-up calls at most (launch-bound calls reach it before the warm-up's time is up)
_PLACEMENTS, _PLACEMENT_BYTES = 8, 4 << 30  # buffers the calls take in turn, at most, and their bytes (placements)


def _load_cudart() -> Any:
    """The CUDA runtime torch itself loaded (same context), or None on CPU-only builds."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "libcudart.so" in line}
        return ctypes.CDLL(sorted(paths)[0]) if paths else None
    except (OSError, IndexError):
        return None


_cudart = _load_cudart() if torch.version.cuda else None


def cudart() -> Any:
    """The CUDA runtime torch loaded, through ctypes, or None."""
    return _cudart


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


_limit_counters: dict[int, LimitCounter] = {}


def limit_counter(device: torch.device) -> LimitCounter:
    """The driver's count of time `device` spent held down by its power or thermal limit (one per card). The
    reference and solution processes open it when they start, before any solution code, so NVML's start-up is not in a loop."""
    index = device.index if device.index is not None else torch.cuda.current_device()
    if index not in _limit_counters:
        p = torch.cuda.get_device_properties(index)
        _limit_counters[index] = LimitCounter(f"{p.pci_domain_id:08X}:{p.pci_bus_id:02X}:{p.pci_device_id:02X}.0")
    return _limit_counters[index]


def _nothing() -> None:
    return None


def placements(nbytes: int, device: torch.device) -> int:
    """How many buffers of `nbytes` the timed calls' inputs, and their outputs, take in turn. Where a buffer lies
    moves a memory-bound kernel's device time by up to 1.7% on an H200, while one buffer's loops repeat to 0.5%
    (bench/fidelity/placement.py): a process that times every call on one buffer measures its buffer as much as
    its kernel. In turn, the median averages over them. Up to 8 on a GPU, within a quarter of its free memory and
    4 GiB; 1 on the host, where it was not seen."""
    if device.type != "cuda" or nbytes <= 0:
        return 1
    free, _ = torch.cuda.mem_get_info(device)
    return int(max(1, min(_PLACEMENTS, min(free // 4, _PLACEMENT_BYTES) // nbytes)))


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


class DeviceSpans:
    """CUPTI's record of each marked call: the device time from its first activity's start to its last one's end.

    `mark()` launches a marker kernel (torch.cuda._sleep's spin_kernel, a few cycles) on an idle device before
    a call's start mark and again after its end mark; whatever CUPTI saw start between two markers, kernels,
    copies and memsets on every stream, belongs to that call. `so_far()` reads the record between calls and
    records on (the profiler is stopped, read and started again), so a loop can stop on the device's own clock.
    Any failure leaves `note` saying why and the record None: the grade then uses the event clock."""

    def __init__(self, record: bool = True) -> None:
        self.note, self.marked, self.active = "", 0, False
        self.recorded: list[tuple[float, float]] | None = [] if record else None  # None: UNMARKED, or failed
        if record:
            self._start()

    def _start(self) -> None:
        try:
            config = _ProfilerConfig(_KINETO, False, False, False, False, False, _ExperimentalConfig())
            _prepare_profiler(config, {_CUDA_ACTIVITY})
            _enable_profiler(config, {_CUDA_ACTIVITY})
            self.active = True
        except Exception as exc:  # no CUPTI, a profiler already running: the event clock still times
            self.note = f"CUPTI unavailable ({type(exc).__name__}: {exc})"[:200]
            self.recorded = None

    def mark(self) -> None:
        if self.active:
            _cuda_sleep(1)
            self.marked += 1

    def so_far(self) -> list[tuple[float, float]] | None:
        """Each marked call's span and the device's idle time inside it (gaps between its activities: the host's
        pace), both in ms, in order, for every call marked so far; or None (see `note`). Records on."""
        self._read()
        if self.recorded is not None:
            self._start()
        return self.recorded

    def finish(self) -> list[tuple[float, float]] | None:
        """Stop recording; what `so_far` would say."""
        self._read()
        return self.recorded

    def _read(self) -> None:
        if not self.active:
            return
        self.active, marked, self.marked = False, self.marked, 0
        try:
            _cuda_synchronize()
            events = _result_events(_disable_profiler())
        except Exception as exc:
            self._fail(f"CUPTI's record could not be read ({type(exc).__name__}: {exc})"[:200])
            return
        device = sorted((_event_start_ns(e), _event_end_ns(e), _MARKER_KERNEL in _event_name(e))
                        for e in events if _event_device_type(e) == _DEVICE_CUDA)
        markers = [i for i, (_, _, marker) in enumerate(device) if marker]
        if len(markers) != marked:
            self._fail(f"CUPTI recorded {len(markers)} marker kernels of the timer's {marked} (dropped records, "
                       "or the timed code runs spin kernels of its own)")
            return
        recorded = self.recorded if self.recorded is not None else []  # (active implies a record)
        for first, last in zip(markers[::2], markers[1::2]):
            inside = device[first + 1:last]
            if not inside:
                self._fail(f"call {len(recorded) + 1} of the loop ran no work on the device")
                return
            recorded.append((_span_ns(inside) / 1e6, _idle_ns(inside) / 1e6))

    def _fail(self, note: str) -> None:
        self.note, self.recorded = note, None


def _span_ns(activities: list[tuple[int, int, bool]]) -> int:
    return max(end for _, end, _ in activities) - min(start for start, _, _ in activities)


def _idle_ns(activities: list[tuple[int, int, bool]]) -> int:
    """Time inside the span when nothing ran (activities sorted by start)."""
    idle, reach = 0, activities[0][1]
    for start, end, _ in activities[1:]:
        idle += max(0, start - reach)
        reach = max(reach, end)
    return idle


def cuda_call(fn: Callable[[], Any], flush: Callable[[], object], spans: DeviceSpans) -> tuple[float, Any]:
    """One call as the timer makes it, timed or checked alike (a solution cannot tell which): its event time
    in ms and its result."""
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    reset_persisting_l2()
    flush()
    _cuda_synchronize()  # the device is idle at the start mark: no work of fn's can overlap the flush
    spans.mark()
    stream = _current_stream()
    _event_record(start, stream)
    result = fn()
    _cuda_synchronize()  # device-wide: work on any stream finishes before the end mark
    _event_record(end, stream)
    spans.mark()
    _event_synchronize(end)
    return _event_elapsed(start, end), result


def host_call(fn: Callable[[], Any], flush: Callable[[], object], spans: DeviceSpans) -> tuple[float, Any]:
    flush()
    t0 = _perf_counter_ns()
    result = fn()
    return (_perf_counter_ns() - t0) / 1e6, result


UNMARKED = DeviceSpans(record=False)  # for calls that are not marked: empty calls, every call on the host clock


def measure(fn: Callable[[], Any], device: torch.device, profile: TimingProfile = TimingProfile(), *,
            before_call: Callable[[int], object] = lambda index: None, checked: frozenset[int] = frozenset(),
            on_checked: Callable[[int, list[Any]], object] = lambda index, outputs: None) -> LoopReport:
    """Warm up, then time calls of `fn` until the median is known well enough; the raw report (stats.timing_of).

    `before_call(i)` runs untimed before call i (warm-up calls count down from -1); the calls whose index is
    in `checked` run like the others but are not timed: their outputs go to `on_checked(i, outputs)`.
    """
    flush_buffer = torch.zeros(2 * _cache_bytes(device) // 4, dtype=torch.float32, device=device)
    flush = flush_buffer.sum  # a float sum reads at full speed on both devices (an int32 sum does not on CPUs)
    on_gpu = device.type == "cuda"
    call = cuda_call if on_gpu else host_call

    began = _monotonic()
    held, ring = _warm_up(fn, device, profile, before_call)
    warmed = _monotonic() - began
    spans = DeviceSpans() if on_gpu else UNMARKED
    limits = limit_counter(device) if on_gpu else None
    empties = [call(_nothing, flush, UNMARKED)[0] for _ in range(_EMPTY_CALLS)]

    samples: list[float] = []
    timed: list[bool] = []  # per marked call: timed (True) or checked
    timed_from = _monotonic()
    held_from = limits.held_ns() if limits else None
    waits_from = None if on_gpu else thread_times()
    read_at = timed_from  # the device's record is read when the loop may first stop, then at doubling lengths
    index = 0
    try:
        while len(samples) < profile.max_calls:
            before_call(index)
            elapsed_ms, result = call(fn, flush, spans)
            timed.append(index not in checked)
            if index in checked:
                on_checked(index, listed(result))
            else:
                samples.append(elapsed_ms)
                if len(samples) % _EMPTY_EVERY == 0:
                    empties.append(call(_nothing, flush, UNMARKED)[0])
            held.append(result)
            _trim(held, ring)
            del result
            index += 1
            elapsed = _monotonic() - timed_from
            enough = len(samples) >= profile.min_calls and elapsed >= profile.min_seconds
            if enough and index > max(checked, default=-1):
                if spans.recorded is None:  # the event or host clock times this loop
                    done = settled(samples, profile.target_rel_width)
                elif _monotonic() >= read_at:  # reading costs ~0.2 ms a call: at doubling lengths
                    report = _report(samples, empties, timed, spans.so_far(), spans.note, on_gpu, began)
                    read_at = _monotonic() + elapsed
                    done = settled(_by_own_clock(report), profile.target_rel_width)
                else:
                    done = False
                if done or elapsed > profile.max_seconds:
                    break
    finally:
        recorded = spans.finish()  # also when a call raised: the profiler must not stay on
    held_to, timed_for = limits.held_ns() if limits else None, _monotonic() - timed_from
    report = _report(samples, empties, timed, recorded, spans.note, on_gpu, began)
    report.warmup_seconds = round(warmed, 3)
    report.power_limited = held_share(held_from, held_to, timed_for)
    report.cpu_wait = None if on_gpu else waited_share(waits_from, thread_times())
    return report


def _warm_up(fn: Callable[[], Any], device: torch.device, profile: TimingProfile,
             before_call: Callable[[int], object]) -> tuple[deque[Any], int]:
    """Untimed calls, at least `warmup_min_seconds`, then until the calls that ended in the last half of that
    time ran at the pace of those in the half before (stats.steady), at most `warmup_seconds`. Returns the last
    outputs, kept alive, and how many buffers the timed calls' outputs take in turn: the ring is filled here,
    so no timed call allocates. A pace that moves less than stats.STEADY_SHARE per window passes as steady:
    this waits out a card coming up from idle, not a drift over seconds (heat), which no warm-up of a fraction
    of a second waits out."""
    on_gpu = device.type == "cuda"
    began = _monotonic()
    window = profile.warmup_min_seconds / 2
    check_at = began + profile.warmup_min_seconds
    paces: list[tuple[float, float]] = []  # (end, host time) of each call, device work included
    held: deque[Any] = deque()  # the last outputs, kept alive so that each call's outputs land elsewhere
    ring = 1
    while len(paces) < max(profile.warmup_calls, _WARMUP_MAX_CALLS):
        before_call(-len(paces) - 1)
        t0 = _monotonic()
        held.append(fn())
        if on_gpu:  # the warm-up's time is the card's: the host must not queue seconds of calls ahead of it
            _cuda_synchronize()
        now = _monotonic()
        paces.append((now, now - t0))
        ring = placements(tensor_bytes(listed(held[0])), device) if len(paces) == 1 else ring
        _trim(held, ring)
        if len(paces) >= profile.warmup_calls and now >= check_at:
            if now >= began + profile.warmup_seconds or _steady_lately(paces[profile.warmup_calls:], now, window):
                break
            check_at = now + window
    ring = min(ring, len(paces))  # as many output buffers as the warm-up allocated
    _trim(held, ring)
    return held, ring


def _steady_lately(paces: list[tuple[float, float]], now: float, window: float) -> bool:
    """Did the calls that ended in the last `window` seconds run at the pace of those in the window before?"""
    later = [pace for end, pace in paces if end > now - window]
    earlier = [pace for end, pace in paces if now - 2 * window < end <= now - window]
    return steady(earlier, later)


def _trim(held: deque[Any], ring: int) -> None:
    """Keep the last `ring - 1` outputs alive: the next call's outputs take the one buffer of `ring` left free."""
    while len(held) >= ring:
        held.popleft()


def _report(samples: list[float], empties: list[float], timed: list[bool],
            recorded: list[tuple[float, float]] | None, note: str, on_gpu: bool, began: float) -> LoopReport:
    """The loop's raw report (harness.common.stats reads it); on a GPU with the spans of its timed calls recorded
    so far."""
    report = LoopReport(samples=list(samples), seconds=round(_monotonic() - began, 3),
                        empty_call_ms=median_ci(empties)[0], clock="cuda-events" if on_gpu else "host")
    if on_gpu:
        kept = None if recorded is None else [span for span, t in zip(recorded, timed) if t]
        report.spans = None if kept is None else [span for span, _ in kept]
        report.span_idle = None if kept is None else [idle for _, idle in kept]
        report.spans_note = note
    return report


def _by_own_clock(report: LoopReport) -> list[float]:
    """The samples this loop is timed by where it stands alone (stats.alone's choice): the device spans recorded
    so far where they are believable, else the event or host times."""
    try:
        believable = report.spans is not None and not span_refusal([report], [])
    except BadSamples:  # the parent refuses the whole report; here it only decides when to stop
        believable = False
    return report.spans if believable and report.spans is not None else report.samples
