"""Grade many samples through the batch engine (harness.parent.batch), recording each verdict as it is final.

Every outcome is a record (results.py); samples already in the store under the same key are skipped, so a
killed sweep resumes.
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

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


def _progress(total: int, label: str):
    from tqdm import tqdm

    quiet = not sys.stderr.isatty() or bool(os.environ.get("CI"))
    return tqdm(total=total, desc=label, unit="sample", disable=quiet, leave=False)


def sweep(samples: list[Sample], config: GradeConfig, store: ResultStore, build_jobs: int = 2,
          slots: list[str | None] | None = None, fork_server: bool = True, grades_at_once: int = 0) -> SweepSummary:
    """Grade every sample not yet in `store`; returns counts. Never raises for a bad solution."""
    recorded = store.recorded()
    keyed = [(sample, sample_key(sample, config)) for sample in samples]
    pending = [(sample, key) for sample, key in keyed if key not in recorded]
    failed_before = sum(not recorded[key]["verdict"]["passed"] for _, key in keyed if key in recorded)
    jobs = [Job(index, sample.solution, sample.problem) for index, (sample, _) in enumerate(pending)]
    lock = threading.Lock()
    passed = 0
    graded_bar = _progress(len(pending), "grade")

    def record(job: Job, verdict: Verdict, slot: str | None) -> None:
        nonlocal passed
        sample, key = pending[job.index]
        with lock:
            store.append(sample, key, verdict, config, slot=slot)
            passed += verdict.passed
            graded_bar.update()

    grade_batch(jobs, config, record, BatchOptions(grades_at_once=grades_at_once, build_jobs=build_jobs, slots=slots,
                                                   fork_server=fork_server))
    graded_bar.close()
    return SweepSummary(samples=len(samples), skipped=len(samples) - len(pending), graded=len(pending),
                        passed=passed, not_passed=failed_before + len(pending) - passed)
