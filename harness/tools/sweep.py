"""Grade many pairs through the batch engine (harness.parent.batch), recording each verdict as it is final.

Every outcome is a record (results.py); pairs already in the store under the same key are skipped, so a killed
sweep resumes.
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass

from ..common.settings import GradeConfig
from ..common.verdict import Verdict
from ..parent.batch import BatchOptions, Job, grade_batch
from .results import Pair, ResultStore, pair_key


@dataclass
class SweepSummary:
    pairs: int
    skipped: int      # already in the store
    graded: int
    passed: int


def _progress(total: int, label: str):
    from tqdm import tqdm

    quiet = not sys.stderr.isatty() or bool(os.environ.get("CI"))
    return tqdm(total=total, desc=label, unit="pair", disable=quiet, leave=False)


def sweep(pairs: list[Pair], config: GradeConfig, store: ResultStore, build_jobs: int = 2,
          slots: list[str | None] | None = None, fork_server: bool = True, grades_at_once: int = 0) -> SweepSummary:
    """Grade every pair not yet in `store`; returns counts. Never raises for a bad solution."""
    done = store.done()
    pending = [(pair, key) for pair in pairs if (key := pair_key(pair, config)) not in done]
    jobs = [Job(index, pair.solution, pair.problem) for index, (pair, _) in enumerate(pending)]
    lock = threading.Lock()
    passed = 0
    graded_bar = _progress(len(pending), "grade")

    def record(job: Job, verdict: Verdict, slot: str | None) -> None:
        nonlocal passed
        pair, key = pending[job.index]
        with lock:
            store.append(pair, key, verdict, slot=slot)
            passed += verdict.passed
            graded_bar.update()

    grade_batch(jobs, config, record, BatchOptions(grades_at_once=grades_at_once, build_jobs=build_jobs, slots=slots,
                                                   fork_server=fork_server))
    graded_bar.close()
    return SweepSummary(pairs=len(pairs), skipped=len(pairs) - len(pending), graded=len(pending), passed=passed)
