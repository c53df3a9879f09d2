"""Grade many samples through the batch engine (harness.parent.batch), recording each verdict as it is final.

Every outcome is a record (results.py); samples already in the store under the same key are skipped, so a
killed sweep resumes.
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..common.settings import GradeConfig
from ..common.verdict import Verdict
from ..parent.batch import BatchOptions, Job, grade_batch
from .results import ResultStore, Sample, sample_key


@dataclass
class SweepSummary:
    samples: int
    skipped: int      # already in the store
    graded: int
    passed: int       # of those graded now
    not_passed: int   # of all the samples, graded now or recorded before: what makes kb-sweep exit 1


class Progress:
    """A bar (tqdm) on a terminal; elsewhere (CI, SLURM logs) a line every `every` seconds and one at the end."""

    def __init__(self, total: int, every: float = 30.0):
        from tqdm import tqdm

        self.total, self.every, self.done, self.passed = total, every, 0, 0
        self.started = self.said = time.monotonic()
        self.bar = tqdm(total=total, unit="sample", leave=False) if sys.stderr.isatty() else None

    def update(self, passed: bool) -> None:
        self.done, self.passed = self.done + 1, self.passed + passed
        if self.bar is not None:
            self.bar.update()
            self.bar.set_postfix(passed=self.passed)
        elif time.monotonic() - self.said >= self.every or self.done == self.total:
            self.said = time.monotonic()
            print(f"graded {self.done} of {self.total} samples, {self.passed} passed, "
                  f"{self.said - self.started:.0f} s", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def sweep(samples: list[Sample], config: GradeConfig, store: ResultStore, build_jobs: int = 2,
          slots: list[str | None] | None = None, fork_server: bool = True, grades_at_once: int = 0,
          on_record: Callable[[dict[str, Any]], None] | None = None) -> SweepSummary:
    """Grade every sample not yet in `store`; returns counts. Never raises for a bad solution. `on_record` sees
    each record as it is written (from the grading threads, one at a time)."""
    recorded = store.recorded()
    keyed = [(sample, sample_key(sample, config)) for sample in samples]
    pending = [(sample, key) for sample, key in keyed if key not in recorded]
    failed_before = sum(not recorded[key]["verdict"]["passed"] for _, key in keyed if key in recorded)
    jobs = [Job(index, sample.solution, sample.problem) for index, (sample, _) in enumerate(pending)]
    lock = threading.Lock()
    passed = 0
    progress = Progress(len(pending))

    def record(job: Job, verdict: Verdict, slot: str | None) -> None:
        nonlocal passed
        sample, key = pending[job.index]
        with lock:
            written = store.append(sample, key, verdict, config, slot=slot)
            passed += verdict.passed
            progress.update(verdict.passed)
            if on_record is not None:
                on_record(written)

    grade_batch(jobs, config, record, BatchOptions(grades_at_once=grades_at_once, build_jobs=build_jobs, slots=slots,
                                                   fork_server=fork_server))
    progress.close()
    return SweepSummary(samples=len(samples), skipped=len(samples) - len(pending), graded=len(pending),
                        passed=passed, not_passed=failed_before + len(pending) - passed)
