"""The grade's secret randomness: seeds for weights, trials and timing, and the input scale of each timed call.

Drawn in the parent (which never imports torch) from the OS, or from `--seed` for a reproducible
grade. Children learn a seed only when the stage that uses it runs.
"""
from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class GradeSeeds:
    weights: int            # Model and ModelNew are constructed after torch.manual_seed(weights)
    trials: list[int]       # one input draw per correctness trial
    timing: int             # the input draw the timed calls start from
    scales: int             # per-call input scales during timing (see call_scale)
    spot_checks: list[int]  # timed calls whose outputs are checked against the oracle

    @classmethod
    def draw(cls, trials: int, spot_checks: int, min_timed_calls: int, seed: int | None = None) -> "GradeSeeds":
        rng = random.Random(seed) if seed is not None else random.SystemRandom()
        weights = seed if seed is not None else rng.randrange(2**31)
        trial_seeds = [rng.randrange(2**31) for _ in range(trials)]
        timing, scales = rng.randrange(2**31), rng.randrange(2**31)
        spots = sorted(rng.sample(range(min_timed_calls), min(spot_checks, min_timed_calls)))
        return cls(weights, trial_seeds, timing, scales, spots)

    def timing_for(self, attempt: int) -> int:
        """The input draw of a model's timing loop `attempt` (0 first): a loop run again gets inputs of its own,
        so nothing remembered from an earlier loop answers it."""
        return self.timing if attempt == 0 else random.Random(f"{self.timing}/{attempt}").randrange(2**31)


def call_scale(seed: int, index: int) -> float:
    """The factor (within 1%) that the floating-point inputs of timed call `index` are multiplied by.

    Every call gets new input contents, so a solution cannot return a remembered output however it
    keys its memory (pointers, sampled values or a hash of everything); 1% keeps the inputs'
    distribution, so the work and its speed stay the same. Warm-up calls use negative indices.
    """
    return random.Random(f"{seed}/{index}").uniform(0.99, 1.01)
