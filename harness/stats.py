"""Statistics of timed calls. Imports nothing heavy: the parent computes every timing from raw samples."""
from __future__ import annotations

import math
from typing import Any

from .verdict import Timing


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


def timing_of(rounds: list[dict[str, Any]]) -> Timing:
    """One Timing from the raw reports of one or more timing loops of the same model (their samples pooled).

    Each report: {"samples": [ms, ...], "seconds": wall, "clock": name, "empty_call_ms": ms}.
    """
    pooled: list[float] = []
    medians: list[float] = []
    try:
        for report in rounds:
            samples = [float(x) for x in report["samples"]]
            if not samples or not all(0 < x < math.inf for x in samples):
                raise BadSamples(f"samples must be positive and finite, got {report['samples']!r}"[:200])
            pooled += samples
            medians.append(median_ci(samples)[0])
        clocks = {str(report["clock"]) for report in rounds}
        seconds = sum(float(report["seconds"]) for report in rounds)
        empty = [float(report["empty_call_ms"]) for report in rounds if report.get("empty_call_ms") is not None]
    except (KeyError, TypeError, ValueError) as exc:
        raise BadSamples(f"malformed timing report: {exc}"[:200]) from None
    if len(clocks) != 1:
        raise BadSamples(f"timing loops disagree on their clock: {sorted(clocks)}")
    median, lo, hi = median_ci(pooled)
    return Timing(median_ms=median, ci_low_ms=lo, ci_high_ms=hi, calls=len(pooled), seconds=round(seconds, 3),
                  clock=clocks.pop(), round_medians_ms=medians,
                  empty_call_ms=min(empty) if empty else None)
