"""Statistics of timed calls. Imports nothing heavy: the parent computes every timing from raw samples."""
from __future__ import annotations

import dataclasses
import math
from typing import Any

from .verdict import Timing, TimingLoop

DISTURBED_RATIO = 1.3      # a loop whose empty call is this much slower than the quietest loop's is disturbed,
DISTURBED_SLACK_MS = 0.001  # and by more than this (the CPU's 5-7 µs empty call, cache misses after the flush)
CONTENDED_RATIO = 0.02      # the reference's rounds may be this much slower than its slower loop alone,
CONTENDED_SLACK_MS = 0.001  # plus this, before its loops alone count instead


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


def contended(beside: Timing, alone: Timing) -> bool:
    """Did the reference run slower in the alternated rounds, beside the solution's stopped process, than in the
    slower of its loops alone, by more than the ratio? Nothing of an honest solution's runs while it is stopped;
    GPU work it queued just before, or a process it started that escaped the stop, would slow the reference's
    rounds and inflate the speedup. The most such sabotage gains unseen is the ratio plus the difference between
    the loops alone (the machine's own loop-to-loop noise); beyond that, the loops alone count."""
    return beside.median_ms > max(loop.median_ms for loop in alone.loops) * (1 + CONTENDED_RATIO) + CONTENDED_SLACK_MS


def quietest(reports: list[dict[str, Any]]) -> float | None:
    """The lowest empty-call time among timing loops' raw reports, None where none was measured."""
    empties = [float(r["empty_call_ms"]) for r in reports if r.get("empty_call_ms") is not None]
    return min(empties) if empties else None


def timing_of(reports: list[dict[str, Any]], quietest_ms: float | None = None, kind: str = "round") -> Timing:
    """One Timing from the raw reports of one or more timing loops of the same model.

    Each report: {"samples": [ms, ...], "seconds": wall, "clock": name, "empty_call_ms": ms}. The samples of
    the loops not disturbed against `quietest_ms` (default: these loops' own quietest) are pooled; where every
    loop was disturbed, the quietest one alone is kept and the Timing says `disturbed`.
    """
    loops = _loops_of(reports, kind)
    baseline = quietest_ms if quietest_ms is not None else quietest(reports)
    quiet = [not disturbed(loop.empty_call_ms, baseline) for loop in loops]
    if not any(quiet):
        quiet[min(range(len(loops)), key=lambda i: loops[i].empty_call_ms or math.inf)] = True
    return _pooled(reports, loops, quiet, baseline)


def paired_timings(ref_rounds: list[dict[str, Any]], sol_rounds: list[dict[str, Any]]) -> tuple[Timing, Timing]:
    """The reference's and the solution's Timings from their alternated rounds, round k of one beside round k
    of the other. A pair where either model's round was disturbed (against the rounds' quietest) is left out of
    both; where every pair was, the quietest pair alone is kept. Leaving out pairs keeps both models' samples
    from the same moments of the machine."""
    if len(ref_rounds) != len(sol_rounds) or not ref_rounds:
        raise BadSamples(f"rounds must come in pairs, got {len(ref_rounds)} and {len(sol_rounds)}")
    ref_loops, sol_loops = _loops_of(ref_rounds, "round"), _loops_of(sol_rounds, "round")
    baseline = quietest(ref_rounds + sol_rounds)
    quiet = [not disturbed(r.empty_call_ms, baseline) and not disturbed(s.empty_call_ms, baseline)
             for r, s in zip(ref_loops, sol_loops)]
    if not any(quiet):
        quiet[min(range(len(quiet)), key=lambda i: max(ref_loops[i].empty_call_ms or math.inf,
                                                       sol_loops[i].empty_call_ms or math.inf))] = True
    return (_pooled(ref_rounds, ref_loops, quiet, baseline), _pooled(sol_rounds, sol_loops, quiet, baseline))


def reference_timing(alone: Timing, beside: Timing) -> Timing:
    """The reference's Timing that counts: its rounds beside the solution's, unless they were contended against
    its loops alone; then those. Every loop is listed either way."""
    seconds = round(alone.seconds + beside.seconds, 3)
    if not contended(beside, alone):
        return dataclasses.replace(beside, loops=_unpooled(alone) + beside.loops, seconds=seconds)
    return dataclasses.replace(alone, loops=alone.loops + _unpooled(beside), seconds=seconds, contended=True)


def _unpooled(timing: Timing) -> list[TimingLoop]:
    return [dataclasses.replace(loop, kept=False) for loop in timing.loops]


def _loops_of(reports: list[dict[str, Any]], kind: str) -> list[TimingLoop]:
    """Each raw report's median and empty call, checked: a report no honest timer produces is BadSamples."""
    loops: list[TimingLoop] = []
    try:
        for report in reports:
            samples = [float(x) for x in report["samples"]]
            if not samples or not all(0 < x < math.inf for x in samples):
                raise BadSamples(f"samples must be positive and finite, got {report['samples']!r}"[:200])
            empty = report.get("empty_call_ms")
            if empty is not None and not 0 < float(empty) < math.inf:
                raise BadSamples(f"the empty call must take a positive, finite time, got {empty!r}"[:200])
            float(report["seconds"])  # checked here, summed by _pooled
            loops.append(TimingLoop(median_ms=median_ci(samples)[0], calls=len(samples),
                                    empty_call_ms=None if empty is None else float(empty), kind=kind))
        clocks = {str(report["clock"]) for report in reports}
    except (KeyError, TypeError, ValueError) as exc:
        raise BadSamples(f"malformed timing report: {exc}"[:200]) from None
    if len(clocks) != 1:
        raise BadSamples(f"timing loops disagree on their clock: {sorted(clocks)}")
    return loops


def _pooled(reports: list[dict[str, Any]], loops: list[TimingLoop], kept: list[bool],
            baseline: float | None) -> Timing:
    """The Timing of the `kept` loops' samples pooled; every loop is listed."""
    for loop, keep in zip(loops, kept):
        loop.kept = keep
    pooled = [float(x) for report, loop in zip(reports, loops) if loop.kept for x in report["samples"]]
    median, lo, hi = median_ci(pooled)
    kept_loops = [loop for loop in loops if loop.kept]
    kept_empties = [loop.empty_call_ms for loop in kept_loops if loop.empty_call_ms is not None]
    return Timing(median_ms=median, ci_low_ms=lo, ci_high_ms=hi, calls=len(pooled),
                  seconds=round(sum(float(report["seconds"]) for report in reports), 3),
                  clock=str(reports[0]["clock"]), loops=loops,
                  empty_call_ms=min(kept_empties) if kept_empties else None,
                  disturbed=any(disturbed(loop.empty_call_ms, baseline) for loop in kept_loops))
