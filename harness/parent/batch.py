"""Grade many samples at once: one engine under `kb grade` with many files, `kb-sweep` and the pytest gate.

Samples are grouped by problem: each problem's reference work is done once (harness.parent.grade.GradedProblem).
Their extensions compile first in a pool of build processes. On each device (every visible GPU, or the CPU) a
few grades run at once: their loading, trials and oracle comparisons overlap, while each timing loop has the
device alone, every other process on it held still (harness.parent.gate). Problems are taken in turn by
whichever device has room, so a device never waits for another's work.
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..common.settings import GradeConfig
from ..common.verdict import Verdict
from ..wire.launch import running
from .gate import DeviceGate
from .grade import GradedProblem, build


@dataclass(frozen=True)
class Job:
    """One sample to grade: its index in the batch (verdicts are handed back under it)."""

    index: int
    solution: Path
    problem: Path


@dataclass
class BatchOptions:
    grades_at_once: int = 0         # per device; 0: 4 on a GPU, 2 on the CPU
    build_jobs: int = 2             # extension builds at a time
    slots: list[str | None] | None = None  # CUDA_VISIBLE_DEVICES per device (None: every visible GPU, or the CPU)
    fork_server: bool = True        # fork every process from a server of the batch's own (no torch imports)


def grade_batch(jobs: list[Job], config: GradeConfig, on_verdict: Callable[[Job, Verdict, str | None], None],
                options: BatchOptions | None = None) -> None:
    """Grade every job; `on_verdict(job, verdict, slot)` is called once per job, from worker threads, as each
    problem's verdicts become final (after its reference's last loop); `slot` is the CUDA_VISIBLE_DEVICES it
    was graded under (None: inherited). Never raises for a bad solution."""
    options = options or BatchOptions()
    if options.fork_server and config.server is None:
        with tempfile.TemporaryDirectory(prefix="kb-batch-") as private, \
                running(Path(private) / "server.sock") as server:
            return grade_batch(jobs, dataclasses.replace(config, server=server.socket), on_verdict,
                               dataclasses.replace(options, fork_server=False))
    slots = options.slots if options.slots is not None else device_slots(config)
    on_cpu = config.device == "cpu" or slots == [None] and _count_gpus() == 0
    at_once = options.grades_at_once or (2 if on_cpu else 4)
    devices = [_Device(slot, dataclasses.replace(config, visible_devices=slot)) for slot in slots]
    problems = _Problems(jobs)
    with ThreadPoolExecutor(max_workers=max(1, options.build_jobs)) as builders:
        # On the CPU the builds share the device that loops are timed on: they are held still too.
        build_gate = devices[0].gate if on_cpu else None
        built = {job.index: builders.submit(build, job.solution, config, job.problem, build_gate) for job in jobs}
        workers = [threading.Thread(target=_work, args=(device, problems, built, on_verdict), daemon=True)
                   for device in devices for _ in range(at_once)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def device_slots(config: GradeConfig) -> list[str | None]:
    """CUDA_VISIBLE_DEVICES values, one per device: each visible GPU, or a single slot that inherits."""
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


@dataclass
class _OpenProblem:
    """A problem being graded on one device: its samples not yet started, and those not yet finished."""

    graded: GradedProblem
    waiting: list[Job]
    unfinished: int


class _Device:
    def __init__(self, slot: str | None, config: GradeConfig):
        self.slot, self.config = slot, config
        self.gate = DeviceGate()
        self.open: _OpenProblem | None = None  # the problem whose samples this device's workers take next


class _Problems:
    """The batch's problems, in order, each taken whole by the first device with a free worker."""

    def __init__(self, jobs: list[Job]):
        grouped: dict[Path, list[Job]] = {}
        for job in jobs:
            grouped.setdefault(job.problem.resolve(), []).append(job)
        self.left = list(grouped.items())
        self.lock = threading.Lock()

    def next_job(self, device: _Device) -> tuple[_OpenProblem, Job] | None:
        with self.lock:
            if device.open is None or not device.open.waiting:
                if not self.left:
                    return None
                problem, jobs = self.left.pop(0)
                device.open = _OpenProblem(GradedProblem(problem, device.config, device.gate), list(jobs), len(jobs))
            job = device.open.waiting.pop(0)
            return device.open, job

    def finished(self, problem: _OpenProblem) -> bool:
        """One sample of `problem` is done; True for the last one."""
        with self.lock:
            problem.unfinished -= 1
            return problem.unfinished == 0


def _work(device: _Device, problems: _Problems, built: dict[int, Future],
          on_verdict: Callable[[Job, Verdict, str | None], None]) -> None:
    """One worker of a device: samples in turn, and each problem's close when its last sample is done."""
    while (taken := problems.next_job(device)) is not None:
        problem, job = taken
        build_verdict = built[job.index].result()
        if build_verdict.passed:
            problem.graded.grade(job.solution, tag=job)
        else:  # the grade would stop where the build did
            build_verdict.problem = str(job.problem)
            on_verdict(job, build_verdict, device.slot)
        if problems.finished(problem):
            for graded_job, verdict in problem.graded.close():
                on_verdict(graded_job, verdict, device.slot)
