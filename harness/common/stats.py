"""Statistics of timed calls. Imports nothing heavy: the parent computes every timing from raw samples.

The timer (harness.child.timing) sends each loop's raw samples as a LoopReport; the parent turns the loops
of one model into its Timing here. The timer uses the same rules to decide when a loop may stop.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .verdict import Timing, TimingLoop

DISTURBED_RATIO = 1.3      # a loop whose empty call is this much slower than the quietest loop's is disturbed,
DISTURBED_SLACK_MS = 0.001  # and by more than this (the CPU's 5-7 µs empty call, cache misses after the flush)
ROUNDING_MS = 2.5e-6       # gaps of up to 2 ns between samples are timestamps' rounding, not the clock's step
STEADY_SHARE = 0.01       # warm-up calls whose pace moves less than this between two windows are steady
SPAN_CLOCK = "cupti-span"
POWER_LIMITED_SHARE = 0.1  # a Timing whose loops spent this share of their time at the card's limit says so
CONTENDED_SHARE = 0.1      # a Timing whose threads waited this share of their ready time for a CPU says so: 1-5%
                           # on the quiet 2-core machine, 32-51% beside one or two busy processes (docs/timing.md)
HOST_PACED_SHARE = 0.05     # a span this idle (gaps between its activities) moves with the host's pace
LEAD_TAIL_LIMIT_MS = 0.1    # event time beyond the device span, per call, past which CUPTI's record is not trusted,
LEAD_TAIL_EMPTIES = 3       # plus this many empty calls and this share of the event time: honest loops on an H200
LEAD_TAIL_SHARE = 0.05      # spent 0.03-0.12 ms, and 0.2-0.3 ms on calls of 3-126 ms (at most 61% of it)


@dataclass
class LoopReport:
    """One timing loop's raw samples, as the timer sends them."""

    samples: list[float]           # each timed call's time by the event clock (GPU) or the host's, ms
    seconds: float                 # the loop's wall time, warm-up included
    clock: str                     # "cuda-events" or "host"
    empty_call_ms: float | None = None   # median of empty calls timed the same way between the loop's calls
    warmup_seconds: float | None = None  # of `seconds`, the warm-up's: until the calls ran at a steady pace
    power_limited: float | None = None   # share of the timed calls' time the card was held at its limit
    spans: list[float] | None = None     # GPU: each timed call's device span (CUPTI), ms; None: not recorded
    span_idle: list[float] | None = None  # the device's idle time inside each span, ms
    spans_note: str = ""                 # why there are no spans
    cpu_wait: float | None = None        # host clock: share of its threads' ready time spent waiting for a CPU
    recompiles: int | None = None        # the compile baseline: frames torch compiled during the loop; None: eager


class BadSamples(ValueError):
    """A timing loop's report that no honest timer produces."""


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


def settled(samples: list[float], rel_width: float) -> bool:
    """Is the median known well enough to stop timing? Its 95% interval is narrower than `rel_width` of it, or no
    wider than one step of the clock: CUPTI's timestamps step by ~32 ns on an H200, 2.2% of a 1.44 µs kernel,
    and no number of samples narrows the interval below one step. (A step between spans measures 31-33 ns where
    their timestamps were rounded, 1440 to 1473 ns: the interval may be a rounding wider than the smallest step.)"""
    median, lo, hi = median_ci(samples)
    if median <= 0:
        return False
    return hi - lo <= rel_width * median or 0 < hi - lo <= resolution(samples) + ROUNDING_MS


def stepped_median_ci(samples: list[float]) -> tuple[float, float, float]:
    """median_ci, its interval widened by half the clock's step each side. Where most samples sit on a few
    steps both order statistics can land on the median's own step, a zero-width interval, though the true
    median may lie up to half a step from it. CUPTI's 32 ns steps are 2.2% of a 1.47 µs kernel: on an H200
    the reference's interval was 1472 to 1472 ns in 5 of 8 processes, and the same kernel's median 1.440 µs
    in four grades and 1.471 in a fifth (docs/timing.md). On a fine clock the widening is negligible."""
    median, lo, hi = median_ci(samples)
    half_step = resolution(samples) / 2
    return median, max(lo - half_step, 0.0), hi + half_step


def resolution(samples: list[float]) -> float:
    """The step a clock's samples move by: the smallest gap between their distinct values, gaps of a few ns
    aside. CUPTI's spans are differences of two timestamps, each rounded to the ns, so they take values 1 ns
    apart besides the ~32 ns steps (1.439, 1.440, 1.471, 1.472 µs); the smallest gap would be 1 ns."""
    values = sorted(set(samples))
    return min((b - a for a, b in zip(values, values[1:]) if b - a > ROUNDING_MS), default=0.0)


def steady(earlier: list[float], later: list[float], rel: float = STEADY_SHARE) -> bool:
    """Do calls run at a steady pace? The median time of the `later` ones lies within `rel` of the `earlier` ones'
    (two windows of the warm-up's calls, one after the other): a card that sat idle runs its first calls slower,
    and a pace still changing, faster or slower, keeps the warm-up going."""
    if len(earlier) < 2 or len(later) < 2:
        return False
    before = median_ci(earlier)[0]
    return abs(median_ci(later)[0] - before) <= rel * before


def disturbed(empty_call_ms: float | None, quietest_ms: float | None) -> bool:
    """Did a loop run during one of the machine's slow episodes? Its empty calls tell: on a quiet H100 they take
    7.4-8.7 µs, in an episode 11-27 µs, and the loop's calls slow down meanwhile, by µs or by percent
    (docs/timing.md, "Loops run while the machine was slow"). Compared with the grade's quietest loop, so no
    machine constant is assumed."""
    if empty_call_ms is None or quietest_ms is None:
        return False
    return empty_call_ms > quietest_ms * DISTURBED_RATIO + DISTURBED_SLACK_MS


def paced_by_host(report: LoopReport) -> bool:
    """Can the host's pace move this loop's time? Always on the event clock, which counts the host's lead and
    tail. On the span clock only where the device sat idle for part of each call, waiting for the host's next
    launch: a call that is one kernel, or kernels back to back, takes the device's time whatever the host does."""
    spans, idle = report.spans, report.span_idle
    if not spans or not idle:
        return True
    return median_ci([float(x) for x in idle])[0] >= HOST_PACED_SHARE * median_ci([float(x) for x in spans])[0]


def slowed(report: LoopReport, quietest_ms: float | None, spans: bool = True) -> bool:
    """Did the host's slow episode move this loop's time? Its empty call says the host was slow (disturbed), and
    the clock that times it (`spans`: the device span, where the report has one) says the host's pace counts."""
    empty = report.empty_call_ms
    return (not spans or paced_by_host(report)) and disturbed(None if empty is None else float(empty), quietest_ms)


def quietest(reports: list[LoopReport]) -> float | None:
    """The lowest empty-call time among timing loops' raw reports, None where none was measured."""
    empties = [float(r.empty_call_ms) for r in reports if r.empty_call_ms is not None]
    return min(empties) if empties else None


def _positive(values: list[float] | None, what: str) -> list[float]:
    numbers = [float(x) for x in values or []]
    if not numbers or not all(0 < x < math.inf for x in numbers):
        raise BadSamples(f"{what} must be positive and finite, got {values!r}"[:200])
    return numbers


def _share(value: float | None) -> float | None:
    if value is None:
        return None
    share = float(value)
    if not 0 <= share <= 1:
        raise BadSamples(f"a share of the loop's time must lie between 0 and 1, got {value!r}"[:200])
    return share


def _count(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadSamples(f"a count of compilations must be a whole number, got {value!r}"[:200])
    return value


def power_limited(timing: Timing | None) -> bool:
    """Did this model's kept loops run with the card held down by its power or thermal limit for long enough to
    say so? Its time then moves with the card's power controller, by several percent from loop to loop."""
    return bool(timing and timing.power_limited is not None and timing.power_limited >= POWER_LIMITED_SHARE)


def span_refusal(reference: list[LoopReport], solution: list[LoopReport]) -> str:
    """Why these loops cannot be timed by their device spans ('' where they can). Spans time a grade only where
    every loop of both models has them, so both models are always timed by the same clock.

    A span lies inside its call's event bracket, so it cannot outlast the event time. The event time beyond
    it is the timer's own lead and tail, which move with the host's pace as its empty calls do (and grow with
    the call: 0.2-0.3 ms on calls of 3-126 ms on an H200, a cause not yet pinned down); far more than that is
    device work CUPTI did not record (its recording switched off from native code), and the event
    clock times the grade instead. (Comparing one model's lead and tail with the other's does not work: the
    machine's slow episodes hit one process and not the other, doubling its lead and tail.)"""
    for report in reference + solution:
        if report.clock != "cuda-events":
            return "the host clock has no device spans"
        if report.spans is None:
            return report.spans_note or "no device spans recorded"
        try:
            spans, events = _positive(report.spans, "device spans"), _positive(report.samples, "samples")
            idle = [float(x) for x in report.span_idle or [0.0] * len(spans)]
            empty = float(report.empty_call_ms or 0.0)
        except (TypeError, ValueError) as exc:
            raise BadSamples(f"malformed timing report: {exc}"[:200]) from None
        if len(spans) != len(events) or len(idle) != len(spans):
            raise BadSamples(f"{len(spans)} device spans, {len(idle)} idle times for {len(events)} timed calls")
        if not all(0 <= gap <= span for gap, span in zip(idle, spans)):
            raise BadSamples("a span's idle time must lie between 0 and the span")
        if any(span > 1.05 * event + 0.005 for span, event in zip(spans, events)):
            return "a device span outlasted its call's event time"
        lead_tail = median_ci([event - span for span, event in zip(spans, events)])[0]
        limit = LEAD_TAIL_LIMIT_MS + LEAD_TAIL_EMPTIES * empty + LEAD_TAIL_SHARE * median_ci(events)[0]
        if lead_tail > limit:
            return (f"the event clock saw {lead_tail:.3g} ms per call more than the device's record (limit "
                    f"{limit:.3g} ms): device work that CUPTI did not record")
    return ""


def timing_of(rounds: list[LoopReport], quietest_ms: float | None = None, spans: bool = False) -> Timing:
    """One Timing from the raw reports of one or more timing loops of the same model.

    With `spans` (see span_refusal) the device spans are the
    samples, and the event times' median is kept beside them. The samples of the loops not disturbed against
    `quietest_ms` (default: these loops' own quietest) are pooled; where every loop was disturbed, the
    quietest one alone is kept and the Timing says `disturbed`.
    """
    loops: list[TimingLoop] = []
    series: list[list[float]] = []  # each loop's samples, by the chosen clock
    try:
        for report in rounds:
            samples = _positive(report.spans if spans else report.samples, "samples")
            series.append(samples)
            empty = report.empty_call_ms
            if empty is not None and not 0 < float(empty) < math.inf:
                raise BadSamples(f"the empty call must take a positive, finite time, got {empty!r}"[:200])
            warmup = report.warmup_seconds
            loops.append(TimingLoop(median_ms=median_ci(samples)[0], calls=len(samples),
                                    empty_call_ms=None if empty is None else float(empty),
                                    seconds=float(report.seconds),
                                    warmup_seconds=None if warmup is None else float(warmup),
                                    power_limited=_share(report.power_limited), cpu_wait=_share(report.cpu_wait),
                                    recompiles=_count(report.recompiles)))
        clocks = {str(report.clock) for report in rounds}
    except (TypeError, ValueError) as exc:
        raise BadSamples(f"malformed timing report: {exc}"[:200]) from None
    if len(clocks) != 1:
        raise BadSamples(f"timing loops disagree on their clock: {sorted(clocks)}")
    baseline = quietest_ms if quietest_ms is not None else quietest(rounds)
    for report, loop in zip(rounds, loops):
        loop.kept = not slowed(report, baseline, spans)
    if not any(loop.kept for loop in loops):
        min(loops, key=lambda loop: loop.empty_call_ms or math.inf).kept = True
        was_disturbed = True
    else:
        was_disturbed = False
    kept = [report for report, loop in zip(rounds, loops) if loop.kept]
    median, lo, hi = stepped_median_ci([x for samples, loop in zip(series, loops) if loop.kept for x in samples])
    kept_empties = [loop.empty_call_ms for loop in loops if loop.kept and loop.empty_call_ms is not None]
    limited = [loop.power_limited for loop in loops if loop.kept and loop.power_limited is not None]
    waited = [loop.cpu_wait for loop in loops if loop.kept and loop.cpu_wait is not None]
    return Timing(median_ms=median, ci_low_ms=lo, ci_high_ms=hi, calls=sum(loop.calls for loop in loops if loop.kept),
                  seconds=round(sum(loop.seconds or 0.0 for loop in loops), 3),
                  clock=SPAN_CLOCK if spans else clocks.pop(), loops=loops,
                  empty_call_ms=min(kept_empties) if kept_empties else None, disturbed=was_disturbed,
                  event_median_ms=median_ci([float(x) for report in kept for x in report.samples])[0]
                  if spans else None, power_limited=max(limited) if limited else None,
                  cpu_wait=max(waited) if waited else None,
                  contended=bool(waited) and max(waited) >= CONTENDED_SHARE)


def alone(rounds: list[LoopReport]) -> Timing:
    """One model's Timing with no other model to agree with on a clock (kb lint, the benches): by its device
    spans where span_refusal finds them believable, else by its event or host clock."""
    return timing_of(rounds, spans=not span_refusal(rounds, []))
