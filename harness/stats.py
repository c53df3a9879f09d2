"""Statistics of timed calls. Imports nothing heavy: the parent computes every timing from raw samples."""
from __future__ import annotations

import math
from typing import Any

from .verdict import Timing, TimingLoop

DISTURBED_RATIO = 1.3      # a loop whose empty call is this much slower than the quietest loop's is disturbed,
DISTURBED_SLACK_MS = 0.001  # and by more than this (the CPU's 5-7 µs empty call, cache misses after the flush)


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


def disturbed(empty_call_ms: float | None, quietest_ms: float | None) -> bool:
    """Did a loop run during one of the machine's slow episodes? Its empty calls tell: on a quiet H100 they take
    7.4-8.7 µs, in an episode 11-27 µs, and the loop's calls slow down meanwhile, by µs or by percent
    (docs/performance.md, "Loops run while the machine was slow"). Compared with the grade's quietest loop, so no
    machine constant is assumed."""
    if empty_call_ms is None or quietest_ms is None:
        return False
    return empty_call_ms > quietest_ms * DISTURBED_RATIO + DISTURBED_SLACK_MS


def quietest(reports: list[dict[str, Any]]) -> float | None:
    """The lowest empty-call time among timing loops' raw reports, None where none was measured."""
    empties = [float(r["empty_call_ms"]) for r in reports if r.get("empty_call_ms") is not None]
    return min(empties) if empties else None


def timing_of(rounds: list[dict[str, Any]], quietest_ms: float | None = None) -> Timing:
    """One Timing from the raw reports of one or more timing loops of the same model.

    Each report: {"samples": [ms, ...], "seconds": wall, "clock": name, "empty_call_ms": ms}. The samples of
    the loops not disturbed against `quietest_ms` (default: these loops' own quietest) are pooled; where every
    loop was disturbed, the quietest one alone is kept and the Timing says `disturbed`.
    """
    loops: list[TimingLoop] = []
    try:
        for report in rounds:
            samples = [float(x) for x in report["samples"]]
            if not samples or not all(0 < x < math.inf for x in samples):
                raise BadSamples(f"samples must be positive and finite, got {report['samples']!r}"[:200])
            empty = report.get("empty_call_ms")
            if empty is not None and not 0 < float(empty) < math.inf:
                raise BadSamples(f"the empty call must take a positive, finite time, got {empty!r}"[:200])
            loops.append(TimingLoop(median_ms=median_ci(samples)[0], calls=len(samples),
                                    empty_call_ms=None if empty is None else float(empty)))
        clocks = {str(report["clock"]) for report in rounds}
        seconds = sum(float(report["seconds"]) for report in rounds)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadSamples(f"malformed timing report: {exc}"[:200]) from None
    if len(clocks) != 1:
        raise BadSamples(f"timing loops disagree on their clock: {sorted(clocks)}")
    baseline = quietest_ms if quietest_ms is not None else quietest(rounds)
    for loop in loops:
        loop.kept = not disturbed(loop.empty_call_ms, baseline)
    if not any(loop.kept for loop in loops):
        min(loops, key=lambda loop: loop.empty_call_ms or math.inf).kept = True
        was_disturbed = True
    else:
        was_disturbed = False
    pooled = [float(x) for report, loop in zip(rounds, loops) if loop.kept for x in report["samples"]]
    median, lo, hi = median_ci(pooled)
    kept_empties = [loop.empty_call_ms for loop in loops if loop.kept and loop.empty_call_ms is not None]
    return Timing(median_ms=median, ci_low_ms=lo, ci_high_ms=hi, calls=len(pooled), seconds=round(seconds, 3),
                  clock=clocks.pop(), loops=loops, empty_call_ms=min(kept_empties) if kept_empties else None,
                  disturbed=was_disturbed)
