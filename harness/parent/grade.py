"""Grade one solution file against its problem: the trusted parent.

This process never imports the problem, the solution, or torch. It starts
the children (harness.child, over harness.wire), hands out seeds, relays the
solution's outputs to the reference process for measurement, applies the
precision budget (harness.common.tolerance) and writes the Verdict. Everything a solution's process
says is treated as a claim: only statuses that blame the solution are
accepted from it, and a pass can only come from here.

Stages, in order:
  locate     pair solution and problem, syntax-check both (nothing runs)
  reference  start the reference process: device, reference outputs, float64 oracle
  build      compile the solution's extensions (in parallel with the oracle); the build process and
             anything it started are gone before any timing
  work       the problem's FLOPs and bytes, counted in the reference process on one forward, and the
             card's floor from them
  time ref   time the reference alone, while nothing else runs
  load       import the solution again (cached build), construct ModelNew, share weights
  trials     fresh secret seeds; solution outputs measured against the oracle
  time sol   time the solution the same way as the reference; a loop run while the machine was slower
             than in the grade's quietest loop (its empty calls tell) runs again on new inputs; spot-check
             some timed calls' outputs; a time under the card's physical floor is impossible
  provenance the share of forward's time in the solution's own code (after timing: nothing that could
             leave state behind runs before the timer)
  generalize one trial at the problem's SMALL_SIZES (reported; required if configured)
  time ref   the reference's second timing loop (again if disturbed), once the solution's process is gone:
  again      the card's drift between the two models' loops (clocks, heat) cancels in the pooled median
"""
from __future__ import annotations

import dataclasses
import time
import traceback
from pathlib import Path
from typing import Any

from ..common import stats
from ..common.errors import BadInput
from ..common.seeds import GradeSeeds, call_scale
from ..common.settings import GradeConfig, configure, default_cache_dir
from ..common.stats import LoopReport
from ..common.verdict import (BuildReport, CorrectnessReport, Generalization, Status, Timing, TrialResult, Verdict)
from ..wire.channel import Child, ChildDied, ChildFailed, ChildTimedOut
from ..wire.launch import ServerError
from ..wire.messages import (Built, ChildSettings, Compare, Count, Draw, Failed, Load, MeasureProvenance,
                             Prepare, Prepared, ReferenceTrial, Resize, Restore, Run, Started, Time, Waiting)
from . import floor
from .files import check_syntax, pair_problem, read_source
from .judge import judge_trial, pass_reason
from .workspace import Workspace

# Statuses a solution's own process may report; anything else from it is a crash.
_SOLUTION_STATUSES = {Status.COMPILE_ERROR, Status.LOAD_ERROR, Status.RUNTIME_ERROR, Status.INCORRECT,
                      Status.REJECTED, Status.UNSUPPORTED}


class Stop(Exception):
    """Grading ends here with this status."""

    def __init__(self, status: Status, reason: str, detail: str = ""):
        super().__init__(reason)
        self.status, self.reason, self.detail = status, reason, detail


def grade(solution: Path | str, problem: Path | str | None = None, config: GradeConfig | None = None,
          **settings: Any) -> Verdict:
    """Grade `solution` against `problem` (default: the paired problems/<set>/<name>.py) under `config` (default:
    every default) changed by `settings` (harness.common.settings.configure: `device="cpu"`, `trials=3`, ...).

    Never raises for anything the solution does; an unknown setting or a value it cannot take is a SettingsError.
    """
    config = configure(settings, base=config)
    return _conduct(solution, problem, config, lambda grading: grading.run())


def build(solution: Path | str, config: GradeConfig | None = None, problem: Path | str | None = None,
          **settings: Any) -> Verdict:
    """Compile a solution's extensions into the cache without grading it, so later grades start warm.

    With `problem`, ModelNew is constructed too, for solutions that build in __init__. The status is
    PASS when everything built; otherwise the status a grade would give.
    """
    config = configure(settings, base=config)
    return _conduct(solution, problem, config, lambda grading: grading.build_only())


def _conduct(solution: Path | str, problem: Path | str | None, config: GradeConfig, stages: Any) -> Verdict:
    """Run `stages` in a fresh workspace; a Stop anywhere becomes the verdict's status."""
    started = time.monotonic()
    verdict = Verdict(status=Status.ERROR, reason="", solution=str(solution), problem=str(problem or ""))
    try:
        with Workspace(config.log_dir, config.visible_devices, config.server) as workspace:
            verdict.log_dir = str(workspace.path) if config.log_dir else ""
            stages(_Grading(Path(solution), Path(problem) if problem else None, config, verdict, workspace))
    except Stop as stop:
        verdict.status, verdict.reason, verdict.detail = stop.status, stop.reason, stop.detail
    except ServerError as exc:  # --server named none, or it went away: nothing the solution did
        verdict.status, verdict.reason = Status.ERROR, str(exc)
    except Exception as exc:  # a bug of ours: still one verdict, never a solution's pass
        verdict.status, verdict.reason = Status.ERROR, f"internal grader error: {type(exc).__name__}: {exc}"
        verdict.detail = traceback.format_exc()[-4000:]
    verdict.seconds = round(time.monotonic() - started, 3)
    return verdict


class _Grading:
    def __init__(self, solution: Path, problem: Path | None, config: GradeConfig, verdict: Verdict,
                 workspace: Workspace):
        self.solution, self.problem, self.config = solution, problem, config
        self.verdict, self.workspace = verdict, workspace
        self.timeouts = config.timeouts
        self.seeds = GradeSeeds.draw(config.trials, config.spot_checks, config.timing.min_calls, config.seed)
        self.cache_dir = Path(config.cache_dir or default_cache_dir()).resolve()
        self.started = time.monotonic()
        self.device = self.device_name = ""  # known once the reference process has started
        self.loops: dict[str, list[LoopReport]] = {"reference": [], "solution": []}  # raw timing reports
        self.reference_trials: list[ReferenceTrial] = []

    def run(self) -> None:
        self.locate()
        # Three processes start at once; the solution's stays idle (no solution code) until told to load.
        reference = self.workspace.spawn("reference", self._settings(solution=""))
        builder = self.workspace.spawn("build", self._settings())
        solution = self.workspace.spawn("solution", self._settings())
        self.start_reference(reference)
        reference.send(Prepare(trials=[Draw(id=str(i), seed=s) for i, s in enumerate(self.seeds.trials)]))
        self.build(builder)
        self.prepare(reference)
        self._answer(solution, Waiting, self.timeouts.load, "starting", "solution")
        self.count_work(reference)
        if self.config.time_solution:
            self.loops["reference"].append(self.time(reference, "reference"))
            self.settle_timings()
            self._stage("time reference")
        self.load_solution(solution)
        self.check_trials(solution, reference)
        if self.config.time_solution:
            self.time_until_quiet(solution, "solution")
            self.settle_timings()
            self.check_timed_calls(reference)
            self.check_floor()
            self._stage("time solution")
        if self.config.provenance:  # after timing: the profiler may leave state behind that costs time
            self.measure_provenance(solution)
        if self.config.generalization != "off":
            self.generalize(solution, reference)
        if self.config.time_solution:
            self.time_reference_again(solution, reference)
        self.verdict.status, self.verdict.reason = Status.PASS, pass_reason(self.verdict)

    def build_only(self) -> None:
        self.check_solution(self.solution_source())
        self.device = self.config.device
        self.build(self.workspace.spawn("build", self._settings()))
        self.verdict.status, self.verdict.reason = Status.PASS, "built (not graded)"

    def _stage(self, name: str) -> None:
        self.verdict.stages[name] = round(time.monotonic() - self.started, 3)

    def _settings(self, solution: str | None = None) -> ChildSettings:
        """A child's settings: the problem and the device as asked ('auto' resolves alike in every process)."""
        return ChildSettings.for_grade(
            self.config, problem=str(self.problem.resolve()) if self.problem else "",
            solution=str(self.solution.resolve()) if solution is None else solution,
            weight_seed=self.seeds.weights, cache_dir=str(self.cache_dir))

    # -- stages ----------------------------------------------------------------------------------

    def locate(self) -> None:
        source = self.solution_source()
        try:
            self.problem = self.problem.resolve() if self.problem else pair_problem(self.solution)
            self.verdict.problem = str(self.problem)
            check_syntax(read_source(self.problem, "problem"), self.problem)
        except BadInput as exc:
            raise Stop(Status.ERROR, str(exc)) from None
        except SyntaxError as exc:
            raise Stop(Status.ERROR, f"the problem file does not compile: {_syntax(exc)}") from None
        self.check_solution(source)

    def solution_source(self) -> str:
        try:
            return read_source(self.solution, "solution")
        except BadInput as exc:
            raise Stop(Status.ERROR, str(exc)) from None

    def check_solution(self, source: str) -> None:
        try:
            check_syntax(source, self.solution)
        except SyntaxError as exc:
            raise Stop(Status.LOAD_ERROR, _syntax(exc)) from None

    def start_reference(self, reference: Child) -> None:
        hello = self._answer(reference, Started, self.timeouts.load, "loading the problem", "reference")
        self.device, self.device_name = hello.device, hello.device_name
        self.verdict.device = f"{hello.device}: {hello.device_name} (torch {hello.torch})"
        self.verdict.sizes = hello.sizes
        self._stage("start reference")

    def build(self, builder: Child) -> None:
        started = time.monotonic()
        answer = self._answer(builder, Built, self.timeouts.build, "building the solution's extensions", "solution")
        builder.kill()  # with anything the solution's import started there: nothing of it runs beside a timing
        self.verdict.build = BuildReport(extensions=answer.extensions, seconds=round(time.monotonic() - started, 3),
                                         cache_dir=str(self.cache_dir))
        self._stage("build")

    def prepare(self, reference: Child) -> None:
        answer = self._answer(reference, Prepared, self.timeouts.run * max(1, len(self.seeds.trials)),
                              "computing the reference outputs and the float64 oracle", "reference")
        self.reference_trials = answer.trials
        first = self.reference_trials[0]
        self.verdict.correctness = CorrectnessReport(oracle=first.oracle, outputs=[str(o) for o in first.outputs])
        self._stage("oracle")

    def count_work(self, reference: Child) -> None:
        """The problem's FLOPs and bytes, counted on one forward of the reference, and the card's floor under
        its time."""
        counted = self._ask(reference, Count(seed=self.seeds.trials[0]), self.timeouts.run,
                            "counting the problem's work", "reference").work
        if counted is not None:
            self.verdict.work = dataclasses.replace(
                counted, floor_ms=floor.floor_ms(counted, floor.peak_for(self.device_name)))
        self._stage("work")

    def time(self, child: Child, whose: str, attempt: int = 0) -> LoopReport:
        """One timing loop of `child`'s model on fresh inputs every call, its raw report (checked here); the
        solution also saves its spot-checked outputs."""
        checks = {j: str(self._spot_path(attempt, j)) for j in self.seeds.spot_checks} if whose == "solution" else {}
        report = self._ask(child, Time(seed=self.seeds.timing_for(attempt), scales=self.seeds.scales,
                                       profile=self.config.timing, checks=checks),
                           self.timeouts.timing, f"timing the {whose}", whose).report
        _believable(whose, stats.timing_of, [report])
        _believable(whose, stats.span_refusal, [report], [])
        return report

    def time_until_quiet(self, child: Child, whose: str) -> None:
        """A timing loop of `child`, run again while it was disturbed against the grade's quietest loop so far
        (harness.common.stats.disturbed), `retimes` times at most: a loop run in one of the machine's slow
        episodes measures the episode as much as the model, where the host's pace can move it (stats.slowed)."""
        loops, retimes = self.loops[whose], 0
        loops.append(self.time(child, whose, attempt=len(loops)))
        while retimes < self.config.timing.retimes and stats.slowed(loops[-1], self._quietest()):
            time.sleep(self.config.timing.retime_after_seconds)
            loops.append(self.time(child, whose, attempt=len(loops)))
            retimes += 1

    def _quietest(self) -> float | None:
        return stats.quietest(self.loops["reference"] + self.loops["solution"])

    def settle_timings(self) -> None:
        """Both models' Timings from their loops so far, each loop judged against the grade's quietest loop of
        either model (harness.common.stats.timing_of). A later, quieter loop only ever leaves out more of the
        solution's loops, never others, so the ones that count were spot-checked."""
        refusal = stats.span_refusal(self.loops["reference"], self.loops["solution"])  # each checked in time()
        on_gpu = self.loops["reference"][0].clock == "cuda-events"
        note = refusal if on_gpu else ""  # the host clock has no spans to refuse
        self.verdict.ref_timing = _timing_of(self.loops["reference"], "reference", self._quietest(), not refusal)
        self.verdict.ref_timing.clock_note = note
        if self.loops["solution"]:
            self.verdict.sol_timing = _timing_of(self.loops["solution"], "solution", self._quietest(), not refusal)
            self.verdict.sol_timing.clock_note = note

    def time_reference_again(self, solution: Child, reference: Child) -> None:
        """The reference's second loop, after the solution's, pooled with its first: a card that drifts between
        the loops (clocks, heat) moves both models alike. The solution's process is killed first, so no code
        of the solution's runs beside the reference's timing."""
        solution.kill()
        self._stage("solution stopped")
        self._ask(reference, Restore(), self.timeouts.load, "restoring the graded sizes", "reference")
        self.time_until_quiet(reference, "reference")
        self.settle_timings()
        self.check_floor()
        self._stage("time reference again")

    def _spot_path(self, attempt: int, call: int) -> Path:
        return self.workspace.path / f"timed-loop-{attempt}-call-{call}.pt"

    def check_timed_calls(self, reference: Child) -> None:
        """Outputs of timed calls in the kept loops against the oracle: memoized, stale or deferred results fail
        here. (A loop left out of the timing needs no check: nothing it did reaches the verdict.)"""
        report, timing = self.verdict.correctness, self.verdict.sol_timing
        assert report is not None and timing is not None
        kept = [attempt for attempt, loop in enumerate(timing.loops) if loop.kept]
        spots = [(attempt, j, Draw(id=f"timed-{attempt}-{j}", seed=self.seeds.timing_for(attempt),
                                   scale=call_scale(self.seeds.scales, j)))
                 for attempt in kept for j in self.seeds.spot_checks]
        if not spots:
            return
        answer = self._ask(reference, Prepare(trials=[spot for _, _, spot in spots]), self.timeouts.run * len(spots),
                           "computing the oracle for the spot-checked timed calls", "reference")
        for (attempt, j, spot), ref in zip(spots, answer.trials):
            trial = self._judge_saved(reference, spot.id, self._spot_path(attempt, j), spot.seed, ref, report,
                                      f"timed call {j}")
            report.timed_checks.append(trial)
            if not trial.passed:
                raise Stop(Status.REJECTED, f"timed call {j + 1} returned a wrong result ({trial.problem}), though "
                                            "every checked call was right; timed calls must compute what checked "
                                            "calls compute, on their own inputs (no memoized, stale or unfinished "
                                            "outputs)")

    def check_floor(self) -> None:
        """A time below what the card can physically do is a wrong time."""
        work, timing = self.verdict.work, self.verdict.sol_timing
        if work and work.floor_ms and timing and timing.median_ms < work.floor_ms:
            raise Stop(Status.REJECTED, f"the solution's measured time {timing.median_ms:.4g} ms is below the "
                                        f"card's physical floor of {work.floor_ms:.4g} ms for this problem "
                                        f"({work.flops:.3g} FLOPs, {work.read_bytes:.3g} bytes to read); the "
                                        "timing cannot be right (clock tampering, L2 persistence or skipped work)")

    def measure_provenance(self, solution: Child) -> None:
        measured = self._ask(solution, MeasureProvenance(seed=self.seeds.trials[0]), self.timeouts.run,
                             "measuring whose code does the work", "solution").provenance
        self.verdict.provenance = measured
        share = measured.own_share
        if share is not None and share < self.config.min_own_share:
            raise Stop(Status.REJECTED, f"the solution's own code took {share:.1%} of forward's time, under the "
                                        f"required {self.config.min_own_share:.1%}; the rest ran in library code "
                                        f"({', '.join(measured.other_kernels[:2])})")
        self._stage("provenance")

    def generalize(self, solution: Child, reference: Child) -> None:
        """One trial at the problem's SMALL_SIZES: reported, and a failure only where required."""
        report = Generalization()
        self.verdict.generalization = report
        if self.verdict.sizes.startswith("small"):
            report.problem = "graded at the small sizes already"
            return
        sizes = self._ask(reference, Resize(), self.timeouts.load, "resizing the problem", "reference").sizes
        if not sizes:
            report.problem = "the problem defines no SMALL_SIZES"
            return
        report.sizes = sizes
        try:
            self._ask(solution, Resize(), self.timeouts.load, "constructing ModelNew at other sizes", "solution")
            seed = self.seeds.trials[0]
            ref = self._ask(reference, Prepare(trials=[Draw(id="small", seed=seed)]), self.timeouts.run,
                            "computing the small-size oracle", "reference").trials[0]
            trial = self._trial(solution, reference, "small", seed, ref, CorrectnessReport(), "the small-size trial")
            report.passed, report.problem = trial.passed, trial.problem
        except Stop as stop:
            report.passed, report.problem = False, f"{stop.status.value}: {stop.reason}"
        self._stage("generalization")
        if not report.passed and self.config.generalization == "require":
            raise Stop(Status.INCORRECT, f"wrong at other sizes {sizes}: {report.problem}")

    def load_solution(self, solution: Child) -> None:
        loaded = self._ask(solution, Load(), self.timeouts.load, "loading the solution and constructing ModelNew",
                           "solution")
        assert self.verdict.correctness is not None
        self.verdict.correctness.weights = loaded.weights
        self._stage("load solution")

    def check_trials(self, solution: Child, reference: Child) -> None:
        report = self.verdict.correctness
        assert report is not None
        for index, (seed, ref) in enumerate(zip(self.seeds.trials, self.reference_trials)):
            trial = self._trial(solution, reference, str(index), seed, ref, report, f"trial {index + 1}")
            report.trials.append(trial)
            if not trial.passed:
                raise Stop(Status.INCORRECT, f"trial {index + 1} of {len(self.seeds.trials)}: {trial.problem}")
        self._stage("trials")

    def _trial(self, solution: Child, reference: Child, trial_id: str, seed: int, ref: ReferenceTrial,
               report: CorrectnessReport, what: str) -> TrialResult:
        """The solution runs on the trial's inputs; the reference process measures the saved outputs."""
        path = self.workspace.path / f"outputs-{trial_id}.pt"
        self._ask(solution, Run(seed=seed, path=str(path)), self.timeouts.run, f"running {what}", "solution")
        return self._judge_saved(reference, trial_id, path, seed, ref, report, what)

    def _judge_saved(self, reference: Child, trial_id: str, path: Path, seed: int, ref: ReferenceTrial,
                     report: CorrectnessReport, what: str) -> TrialResult:
        """The reference process measures outputs the solution saved at `path`; the budget judges them here."""
        errors = self._ask(reference, Compare(trial=trial_id, path=str(path)), self.timeouts.run, f"checking {what}",
                           "reference").errors
        return judge_trial(seed, errors, ref, report)

    # -- talking to children ---------------------------------------------------------------------

    def _ask(self, child: Child, operation: Any, timeout: float, doing: str, whose: str) -> Any:
        child.send(operation)
        return self._answer(child, type(operation).Answer, timeout, doing, whose)

    def _answer(self, child: Child, kind: type, timeout: float, doing: str, whose: str) -> Any:
        """The child's next answer as `kind`, or Stop with a status that says whose fault it was."""
        try:
            answer = child.receive(kind, timeout, doing)
        except ChildFailed as failure:
            raise _stop_for_failure(failure, whose) from None
        if not isinstance(answer, Failed):
            return answer
        if whose == "reference":
            raise Stop(Status.ERROR, f"the reference could not run: {answer.reason}", answer.detail)
        status = answer.status
        if status not in _SOLUTION_STATUSES:
            status = Status.LOAD_ERROR if status is Status.ERROR else Status.CRASHED
        if status is Status.UNSUPPORTED and self.device == "cuda":
            status = Status.RUNTIME_ERROR  # cannot be "unsupported" on a machine that has CUDA
        raise Stop(status, answer.reason, answer.detail)


def _stop_for_failure(failure: ChildFailed, whose: str) -> Stop:
    detail = failure.stderr_tail
    if whose == "reference":
        return Stop(Status.ERROR, f"the reference {failure.what}", detail)
    if isinstance(failure, ChildTimedOut):
        return Stop(Status.TIMEOUT, f"the solution {failure.what}", detail)
    last = detail.strip().splitlines()[-1] if detail.strip() else ""
    said = f"; it last printed: {last[:200]}" if last and isinstance(failure, ChildDied) else ""
    return Stop(Status.CRASHED, f"the solution's process {failure.what}{said}", detail)


def _syntax(exc: SyntaxError) -> str:
    return f"{Path(exc.filename or '?').name}:{exc.lineno}: SyntaxError: {exc.msg}"


def _timing_of(loops: list[LoopReport], whose: str, quietest_ms: float | None = None, spans: bool = False) -> Timing:
    """The statistics of `whose` timing loops, computed here from their raw samples (stats.timing_of)."""
    return _believable(whose, stats.timing_of, loops, quietest_ms, spans)


def _believable(whose: str, check: Any, *args: Any) -> Any:
    """`check(*args)` on `whose` raw timing reports; an impossible report ends the grade, naming the process."""
    try:
        return check(*args)
    except stats.BadSamples as bad:
        status = Status.ERROR if whose == "reference" else Status.CRASHED
        raise Stop(status, f"the {whose} process reported an impossible timing: {bad}"[:300]) from None
