"""Grading settings, declared once. Imports nothing heavy: the parent never needs torch."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class TimingProfile:
    """How hard the timer tries. It stops at `target_rel_width` or `max_seconds`, whichever comes first."""

    warmup_calls: int = 3
    warmup_min_seconds: float = 0.05  # warm-up calls run at least this long, then until the card runs them at a
    warmup_seconds: float = 0.2       # steady pace (stats.steady), at most this long: a card that sat idle runs
                                      # its first calls slower (50 ms without waiting on them was too short)
    min_calls: int = 10
    min_seconds: float = 0.05        # timed calls run at least this long: a 0.4 ms kernel gets ~100 samples, not 10
    max_calls: int = 5000
    target_rel_width: float = 0.02   # (ci_high - ci_low) / median of the 95% interval
    max_seconds: float = 1.0         # wall time of the timed calls, cache flushes included
    retimes: int = 2                 # loops run again, at most, where the machine was slow (harness.stats)
    retime_after_seconds: float = 1.0  # pause before each: the machine's slow episodes last seconds


TIMING_PROFILES = {
    "quick": TimingProfile(warmup_calls=2, warmup_min_seconds=0.05, warmup_seconds=0.05, min_calls=5,
                           min_seconds=0.0, max_calls=200, target_rel_width=0.05, max_seconds=0.5, retimes=0),
    "default": TimingProfile(),
    "precise": TimingProfile(warmup_calls=10, warmup_min_seconds=0.2, warmup_seconds=0.2, min_calls=50,
                             min_seconds=0.5, max_calls=20000, target_rel_width=0.005, max_seconds=5.0, retimes=4),
}


@dataclass(frozen=True)
class Timeouts:
    """Seconds each stage may take before its process is killed and the grade says `timeout`."""

    load: float = 120.0     # import the problem or the solution (builds excluded) and construct the model
    build: float = 900.0    # compile the solution's extensions
    run: float = 120.0      # one correctness trial (the reference: all oracle trials)
    timing: float = 300.0   # timing one model


@dataclass(frozen=True)
class GradeConfig:
    device: str = "auto"                 # auto: cuda when torch sees a GPU, else cpu
    trials: int = 5                      # correctness trials, each on fresh inputs
    seed: int | None = None              # None: unpredictable seeds, drawn per grade
    timing: TimingProfile = field(default_factory=TimingProfile)
    time_solution: bool = True           # False: check correctness only
    require_own_code: bool = True        # reject forward calls that run none of the solution's compiled code
    min_own_share: float = 0.0           # reject when the solution's own code takes less of forward's time
    provenance: bool = True              # measure that share (GPU: one profiled forward)
    spot_checks: int = 3                 # timed calls whose outputs are checked against the oracle
    sizes: str = "auto"                  # "full", "small" (the problem's SMALL_SIZES) or "auto": small on CPU
    generalization: str = "report"       # trial at the problem's SMALL_SIZES: "report", "require" or "off"
    timeouts: Timeouts = field(default_factory=Timeouts)
    cache_dir: Path | None = None        # None: harness.buildcache.default_cache_dir()
    log_dir: Path | None = None          # None: children's logs are deleted after the grade
    visible_devices: str | None = None   # CUDA_VISIBLE_DEVICES for the children (a sweep pins each worker)
    server: Path | None = None           # a fork server's socket (harness.forkserver): children forked from it
