"""Grade many samples: builds in parallel on the CPU, grades fed to one worker per device slot.

A sample's extensions compile in a pool of build processes; as each finishes, the sample
joins a queue that the grading workers drain, one worker per GPU (each pinned to its
card with CUDA_VISIBLE_DEVICES) or one on the CPU, so no device waits for a compile that
another sample's could have overlapped. Every outcome is a record (results.py); samples
already in the store under the same key are skipped, so a killed sweep resumes.
"""
from __future__ import annotations

import dataclasses
import os
import queue
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..common.settings import GradeConfig
from ..parent.grade import build, grade
from ..wire.launch import running
from .results import ResultStore, Sample, sample_key


@dataclass
class SweepSummary:
    samples: int
    skipped: int      # already in the store
    graded: int
    passed: int       # of those graded now
    not_passed: int   # of all the samples, graded now or recorded before: what makes kb-sweep exit 1
    idle_fraction: float  # share of the grading workers' time spent waiting for a build to finish


def device_slots(config: GradeConfig) -> list[str | None]:
    """CUDA_VISIBLE_DEVICES values, one per worker: each visible GPU, or a single slot that inherits."""
    if config.device == "cpu":
        return [None]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        cards = [c.strip() for c in visible.split(",") if c.strip()]
    else:
        cards = [str(i) for i in range(_count_gpus())]
    return cards or [None]


def _count_gpus() -> int:
    """Counted without importing torch into the parent."""
    try:
        return len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return 0


def _progress(total: int, label: str):
    from tqdm import tqdm

    quiet = not sys.stderr.isatty() or bool(os.environ.get("CI"))
    return tqdm(total=total, desc=label, unit="sample", disable=quiet, leave=False)


def sweep(samples: list[Sample], config: GradeConfig, store: ResultStore, build_jobs: int = 2,
          slots: list[str | None] | None = None, fork_server: bool = False) -> SweepSummary:
    """Grade every sample not yet in `store`; returns counts. Never raises for a bad solution.

    With `fork_server`, a server of the sweep's own (harness.wire.launch.running) forks every grade's processes, so
    each skips its torch imports."""
    if fork_server and config.server is None:
        with tempfile.TemporaryDirectory(prefix="kb-sweep-") as private, \
                running(Path(private) / "server.sock") as server:
            return sweep(samples, dataclasses.replace(config, server=server.socket), store, build_jobs, slots)
    recorded = store.recorded()
    keyed = [(sample, sample_key(sample, config)) for sample in samples]
    pending = [(sample, key) for sample, key in keyed if key not in recorded]
    failed_before = sum(not recorded[key]["verdict"]["passed"] for _, key in keyed if key in recorded)
    slots = slots if slots is not None else device_slots(config)
    ready: queue.Queue = queue.Queue()
    lock = threading.Lock()
    passed = 0
    waited = 0.0
    started = time.monotonic()
    built_bar, graded_bar = _progress(len(pending), "build"), _progress(len(pending), "grade")

    def compile_sample(sample: Sample, key: str) -> None:
        ready.put((sample, key, build(sample.solution, config, problem=sample.problem)))
        built_bar.update()

    def grade_samples(slot: str | None) -> None:
        nonlocal passed, waited
        pinned = dataclasses.replace(config, visible_devices=slot)
        while True:
            asked = time.monotonic()
            item = ready.get()
            with lock:
                waited += time.monotonic() - asked
            if item is None:
                return
            sample, key, built = item
            verdict = grade(sample.solution, sample.problem, pinned) if built.passed else built
            verdict.problem = str(sample.problem)
            with lock:
                store.append(sample, key, verdict, config, slot=slot)
                passed += verdict.passed
            graded_bar.update()

    workers = [threading.Thread(target=grade_samples, args=(slot,), daemon=True) for slot in slots]
    for worker in workers:
        worker.start()
    with ThreadPoolExecutor(max_workers=max(1, build_jobs)) as builders:
        for sample, key in pending:
            builders.submit(compile_sample, sample, key)
    for _ in workers:
        ready.put(None)
    for worker in workers:
        worker.join()
    built_bar.close()
    graded_bar.close()
    busy = len(workers) * (time.monotonic() - started)
    return SweepSummary(samples=len(samples), skipped=len(samples) - len(pending), graded=len(pending),
                        passed=passed, not_passed=failed_before + len(pending) - passed,
                        idle_fraction=waited / busy if busy > 0 else 0.0)
