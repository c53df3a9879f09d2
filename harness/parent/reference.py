"""One problem's reference, shared by every sample graded against it.

The reference process loads the problem alone (never solution code) and computes, once for all the problem's
samples: the device it runs on, the reference outputs and float64 oracle of the trials' draws, the problem's
work and the card's floor, the small-size oracle for the generalization trial, and the reference's timing
loops: one before any sample is graded and one after the last (docs/design.md says why sharing is safe).
A grade of one file is a problem with one sample, so a lone grade and a batch run the same code.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ..common import stats
from ..common.seeds import GradeSeeds
from ..common.settings import GradeConfig
from ..common.stats import LoopReport
from ..common.verdict import Work
from ..wire.channel import Child
from ..wire.messages import (ChildSettings, Compare, Count, Draw, Prepare, Prepared, ReferenceTrial, Resize, Restore,
                             Started, Time)
from . import floor
from .asking import Stop, answer, ask, believable
from .gate import DeviceGate
from .workspace import Workspace

SMALL_TRIAL = "small"


class ProblemReference:
    def __init__(self, problem: Path | None, config: GradeConfig, cache_dir: Path, gate: DeviceGate | None = None):
        self.problem, self.config, self.gate = problem, config, gate
        self.timeouts = config.timeouts
        self.seeds = GradeSeeds.draw(config.trials, config.spot_checks, config.timing.min_calls, config.seed)
        self.cache_dir = cache_dir
        self.workspace: Workspace | None = None  # made when the reference process starts
        self.lock = threading.RLock()  # one operation of the reference process at a time
        self.child: Child | None = None
        self.failure: Stop | None = None
        self.ready_done = False
        self.started = time.monotonic()
        self.stages: dict[str, float] = {}
        # What the reference found, for every sample:
        self.device = self.device_name = self.described = self.sizes = ""
        self.trials: list[ReferenceTrial] = []
        self.work: Work | None = None
        self.small_sizes: dict[str, int] | None = None
        self.small_trial: ReferenceTrial | None = None
        self.loops: list[LoopReport] = []

    def settings(self, solution: str) -> ChildSettings:
        """A child's settings for this problem: every process of its grades sees the same weights and device."""
        return ChildSettings.for_grade(self.config, problem=str(self.problem) if self.problem else "", solution=solution,
                                       weight_seed=self.seeds.weights, cache_dir=str(self.cache_dir))

    def open(self) -> None:
        """Start the reference process and its oracle work; returns at once (see ready)."""
        with self.lock:
            if self.child is None:
                config = self.config
                self.workspace = Workspace(config.log_dir, config.visible_devices, config.server, self.gate)
                self.child = self.workspace.spawn("reference", self.settings(solution=""))
                shared = self.seeds.trials[:max(1, len(self.seeds.trials) - 1)]  # each sample's last is its own
                self.child.send(Prepare(trials=[Draw(id=str(i), seed=s) for i, s in enumerate(shared)]))

    def ready(self) -> None:
        """Wait until the reference has done its once-per-problem work; a failure there is every sample's."""
        with self.lock:
            if self.failure is not None:
                raise self.failure
            if self.ready_done:
                return
            self.open()
            try:
                self._start()
                self.ready_done = True
            except Stop as stop:
                self.failure = stop
                raise

    def _start(self) -> None:
        child = self.child
        assert child is not None
        hello = answer(child, Started, self.timeouts.load, "loading the problem", "reference")
        self.device, self.device_name, self.sizes = hello.device, hello.device_name, hello.sizes
        self.described = f"{hello.device}: {hello.device_name} (torch {hello.torch})"
        self._stage("start reference")
        self.trials = answer(child, Prepared, self.timeouts.run * max(1, len(self.seeds.trials)),
                             "computing the reference outputs and the float64 oracle", "reference").trials
        self._stage("oracle")
        counted = self._ask(Count(seed=self.seeds.trials[0]), self.timeouts.run, "counting the problem's work").work
        if counted is not None:
            self.work = dataclasses.replace(counted, floor_ms=floor.floor_ms(counted, floor.peak_for(self.device_name)))
        self._stage("work")
        if self.config.generalization != "off" and not self.sizes.startswith("small"):
            self._prepare_small()
        if self.config.time_solution:
            time_until_quiet(self.time_loop, self.loops, lambda: stats.quietest(self.loops), self.config)
            self._stage("time reference")

    def _prepare_small(self) -> None:
        """The small-size oracle for the generalization trial, then back to the graded sizes."""
        self.small_sizes = self._ask(Resize(), self.timeouts.load, "resizing the problem").sizes
        if self.small_sizes:
            self.small_trial = self.prepare([Draw(id=SMALL_TRIAL, seed=self.seeds.trials[0])],
                                            "computing the small-size oracle")[0]
        self._ask(Restore(), self.timeouts.load, "restoring the graded sizes")
        self._stage("small-size oracle")

    def _stage(self, name: str) -> None:
        self.stages[name] = round(time.monotonic() - self.started, 3)

    def _ask(self, operation: Any, timeout: float, doing: str) -> Any:
        assert self.child is not None
        with self.lock:
            return ask(self.child, operation, timeout, doing, "reference", self.gate)

    def compare(self, trial: str, path: Path, doing: str, keep: bool) -> Any:
        """The reference's measure of the outputs a solution saved at `path` against draw `trial`'s oracle,
        kept for the next sample where `keep` (the problem's trials), else let go (a sample's spot checks)."""
        return self._ask(Compare(trial=trial, path=str(path), keep=keep), self.timeouts.run, doing).errors

    def prepare(self, draws: list[Draw], doing: str) -> list[ReferenceTrial]:
        return self._ask(Prepare(trials=draws), self.timeouts.run * max(1, len(draws)), doing).trials

    def time_loop(self, attempt: int) -> LoopReport:
        """One timing loop of the reference, with the device to itself."""
        with self.lock:
            assert self.child is not None
            operation = Time(seed=self.seeds.timing_for(attempt), scales=self.seeds.scales, profile=self.config.timing)
            if self.gate is None:
                return check_report("reference", ask(self.child, operation, self.timeouts.timing,
                                                     "timing the reference", "reference", None).report)
            with self.gate.exclusive(self.child):
                return check_report("reference", ask(self.child, operation, self.timeouts.timing,
                                                     "timing the reference", "reference", None).report)

    def time_again(self, quietest: Callable[[], float | None]) -> None:
        """The reference's loop after its last sample (whose processes are gone): a card that drifts between
        loops (clocks, heat) moves both models alike in the pooled medians. `quietest`: the lowest empty call
        of every loop of the problem's grades, the reference's and its samples'."""
        with self.lock:
            if self.ready_done and self.config.time_solution and self.failure is None:
                time_until_quiet(self.time_loop, self.loops, quietest, self.config)

    def close(self) -> None:
        """The reference process ends; its working folder goes (or stays, with its log, under --log-dir)."""
        if self.workspace is not None:
            self.workspace.__exit__(None, None, None)


def check_report(whose: str, report: LoopReport) -> LoopReport:
    """A loop's raw report, as far as it can be checked alone."""
    believable(whose, stats.timing_of, [report])
    believable(whose, stats.span_refusal, [report], [])
    return report


def time_until_quiet(time_loop: Callable[[int], LoopReport], loops: list[LoopReport],
                     quietest: Callable[[], float | None], config: GradeConfig) -> None:
    """A timing loop, run again while it was disturbed against the quietest loop so far (stats.slowed),
    `retimes` times at most: a loop run in one of the machine's slow episodes measures the episode as much as
    the model, where the host's pace can move it."""
    retimes = 0
    loops.append(time_loop(len(loops)))
    while retimes < config.timing.retimes and stats.slowed(loops[-1], quietest()):
        time.sleep(config.timing.retime_after_seconds)
        loops.append(time_loop(len(loops)))
        retimes += 1
