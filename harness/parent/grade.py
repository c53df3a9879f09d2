"""Grade solution files against their problem: the trusted parent.

This process never imports the problem, the solution, or torch. It starts
the children (harness.child, over harness.wire), hands out seeds, relays the
solution's outputs to the reference process for measurement, applies the
precision budget (harness.common.tolerance) and writes the Verdict. Everything a solution's process
says is treated as a claim: only statuses that blame the solution are
accepted from it, and a pass can only come from here.

The reference's part is done once per problem, for all its samples (harness.parent.reference); each sample
then runs its own stages. A grade of one file is a problem with one sample.

Stages, in order:
  locate     pair solution and problem, syntax-check both (nothing runs)
  reference  start the problem's reference process: device, reference outputs, float64 oracle
  build      compile the solution's extensions (in parallel with the oracle); the build process and
             anything it started are gone before any timing
  work       the problem's FLOPs and bytes, counted in the reference process on one forward, and the
             card's floor from them
  time ref   time the reference alone, every other process on its device held still
  load       import the solution again (cached build), construct ModelNew, share weights
  trials     fresh secret seeds; solution outputs measured against the oracle (Triton kernels compile, or load
             from the solution's Triton cache, and autotune on the first: the verdict's build.triton says what)
  time sol   time the solution the same way as the reference; a loop run while the machine was slower
             than in the grade's quietest loop (its empty calls tell) runs again on new inputs; spot-check
             some timed calls' outputs; a time under the card's physical floor is impossible
  provenance the share of forward's time in the solution's own code (after timing: nothing that could
             leave state behind runs before the timer)
  generalize one trial at the problem's SMALL_SIZES (reported; required if configured)
  time ref   the reference's second timing loop (again if disturbed), once the processes of the problem's
  again      samples are gone: the card's drift between the two models' loops (clocks, heat) cancels in the
             pooled median; then each sample's timing is settled and its verdict final
"""
from __future__ import annotations

import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from ..common import stats
from ..common.errors import BadInput
from ..common.seeds import GradeSeeds, call_scale
from ..common.settings import GradeConfig, configure, default_cache_dir
from ..common.stats import LoopReport
from ..common.verdict import (BuildReport, CorrectnessReport, Generalization, Status, Timing, TrialResult,
                              TritonEvent, Verdict)
from ..wire.channel import Child
from ..wire.launch import ServerError
from ..wire.messages import (Built, Draw, Load, MeasureProvenance, ReadTritonLog, ReferenceTrial, Resize, Run, Time,
                             Waiting)
from .asking import Stop, answer, ask, believable
from .files import check_syntax, pair_problem, read_source
from .gate import DeviceGate
from .judge import judge_trial, pass_reason, small_sizes_note
from .reference import SMALL_TRIAL, ProblemReference, check_report, time_until_quiet
from .workspace import Workspace


def grade(solution: Path | str, problem: Path | str | None = None, config: GradeConfig | None = None,
          **settings: Any) -> Verdict:
    """Grade `solution` against `problem` (default: the paired problems/<set>/<name>.py) under `config` (default:
    every default) changed by `settings` (harness.common.settings.configure: `device="cpu"`, `trials=3`, ...).

    Never raises for anything the solution does; an unknown setting or a value it cannot take is a SettingsError.
    """
    config = configure(settings, base=config)
    solution = Path(solution)
    try:
        read_source(solution, "solution")  # a missing solution is named as such, before any pairing
        problem = Path(problem) if problem else pair_problem(solution)
    except BadInput as exc:
        return _unpaired(solution, str(exc), config)
    graded = GradedProblem(problem, config)
    graded.grade(solution)
    return graded.close()[0][1]


def build(solution: Path | str, config: GradeConfig | None = None, problem: Path | str | None = None,
          gate: DeviceGate | None = None, **settings: Any) -> Verdict:
    """Compile a solution's extensions into the cache without grading it, so later grades start warm.

    With a problem (`problem`, else the paired problems/<set>/<name>.py where there is one), ModelNew is constructed
    too, for solutions that build in __init__, and on a GPU its forward runs once, which compiles its Triton kernels.
    The status is PASS when everything built; otherwise the status a grade would give. `gate`: the device the
    build's process is held still on while others are timed (a batch on the CPU)."""
    config = configure(settings, base=config)
    if problem is None:
        try:
            problem = pair_problem(Path(solution))
        except BadInput:
            pass  # no problem to construct ModelNew for: what the import builds is all
    started = time.monotonic()
    verdict = Verdict(status=Status.ERROR, reason="", solution=str(solution), problem=str(problem or ""),
                      baseline=config.baseline)
    reference = ProblemReference(Path(problem).resolve() if problem else None, config, _cache_dir(config))
    _conduct(verdict, lambda: _SampleGrade(Path(solution), reference, verdict, gate).build_only())
    verdict.seconds = round(time.monotonic() - started, 3)
    return verdict


class GradedProblem:
    """A problem and the samples graded against it: its reference's work is done once and shared
    (harness.parent.reference); `grade` may be called from several threads at once, `close` once after."""

    def __init__(self, problem: Path, config: GradeConfig, gate: DeviceGate | None = None):
        self.config, self.gate = config, gate
        self.reference = ProblemReference(problem.resolve(), config, _cache_dir(config), gate)
        self.samples: list[_SampleGrade] = []
        self.lock = threading.Lock()
        self.problem_error = _problem_error(problem)

    def grade(self, solution: Path, tag: Any = None) -> None:
        """Grade `solution` up to the reference's last loop; its verdict is final at close(), under `tag`."""
        verdict = Verdict(status=Status.ERROR, reason="", solution=str(solution), problem=str(self.reference.problem),
                          baseline=self.config.baseline)
        sample = _SampleGrade(solution, self.reference, verdict, self.gate)
        sample.tag = tag
        with self.lock:
            self.samples.append(sample)
        if self.problem_error is not None:
            verdict.reason = self.problem_error
            return
        _conduct(verdict, sample.run)
        sample.seconds = time.monotonic() - sample.started

    def close(self) -> list[tuple[Any, Verdict]]:
        """The reference's second loop, every graded sample's timing settled: each sample's tag and verdict."""
        graded = [sample for sample in self.samples if sample.verdict.status is Status.PASS]
        again = Verdict(status=Status.PASS, reason="", solution="", problem="")  # how the loop went, for them all
        try:
            _conduct(again, lambda: self.reference.time_again(lambda: stats.quietest(self.reference.loops + [
                loop for sample in graded for loop in sample.loops])))
        finally:
            self.reference.close()
        for sample in graded if again.status is not Status.PASS else []:
            sample.verdict.status, sample.verdict.reason, sample.verdict.detail = again.status, again.reason, \
                again.detail
        for sample in graded:
            if sample.verdict.status is Status.PASS:
                _conduct(sample.verdict, sample.settle)
        for sample in self.samples:
            sample.verdict.seconds = round(sample.seconds + (time.monotonic() - sample.finished
                                                             if sample.finished else 0.0), 3)
        return [(sample.tag, sample.verdict) for sample in self.samples]


def _conduct(verdict: Verdict, stages: Callable[[], None]) -> None:
    """Run `stages`; a Stop anywhere becomes the verdict's status, and a bug of ours an error, never a pass."""
    try:
        stages()
    except Stop as stop:
        verdict.status, verdict.reason, verdict.detail = stop.status, stop.reason, stop.detail
    except ServerError as exc:  # --server named none, or it went away: nothing the solution did
        verdict.status, verdict.reason = Status.ERROR, str(exc)
    except Exception as exc:  # a bug of ours: still one verdict, never a solution's pass
        verdict.status, verdict.reason = Status.ERROR, f"internal grader error: {type(exc).__name__}: {exc}"
        verdict.detail = traceback.format_exc()[-4000:]


def _unpaired(solution: Path, reason: str, config: GradeConfig) -> Verdict:
    return Verdict(status=Status.ERROR, reason=reason, solution=str(solution), problem="", baseline=config.baseline)


def _problem_error(problem: Path) -> str | None:
    """Why the problem file cannot be graded against (missing, unreadable, not Python), or None."""
    try:
        check_syntax(read_source(problem, "problem"), problem)
    except BadInput as exc:
        return str(exc)
    except SyntaxError as exc:
        return f"the problem file does not compile: {_syntax(exc)}"
    return None


def _cache_dir(config: GradeConfig) -> Path:
    return Path(config.cache_dir or default_cache_dir()).resolve()


class _SampleGrade:
    """One solution's stages against its problem's shared reference."""

    def __init__(self, solution: Path, reference: ProblemReference, verdict: Verdict, gate: DeviceGate | None):
        self.solution, self.reference, self.verdict, self.gate = solution, reference, verdict, gate
        self.config = config = reference.config
        self.timeouts = config.timeouts
        fresh = GradeSeeds.draw(config.trials, config.spot_checks, config.timing.min_calls, config.seed)
        # The problem's weights and trial draws, whose oracle is shared, but for the last trial: that one, and
        # the timing draws, are the sample's own, so no answer another sample left behind can pass it.
        self.seeds = GradeSeeds(reference.seeds.weights, reference.seeds.trials[:-1] + fresh.trials[-1:],
                                fresh.timing, fresh.scales, fresh.spot_checks)
        self.started = time.monotonic()
        self.seconds = 0.0
        self.finished = 0.0  # when its own stages ended; the verdict waits for the problem's last loop
        self.loops: list[LoopReport] = []  # the solution's raw timing reports
        self.workspace: Workspace | None = None
        self.tag: Any = None  # the caller's name for this sample

    def run(self) -> None:
        self.verdict.log_dir = ""
        with Workspace(self.config.log_dir, self.config.visible_devices, self.config.server, self.gate) as workspace:
            self.workspace = workspace
            self.verdict.log_dir = str(workspace.path) if self.config.log_dir else ""
            try:
                self._stages(workspace)
            finally:
                self.finished = time.monotonic()
        self._stage("solution stopped")  # its processes and all they started: gone before the reference's loop

    def _stages(self, workspace: Workspace) -> None:
        self.check_solution(self.solution_source())
        self.reference.open()
        # The build and the solution's process start while the reference works; the solution's stays idle (no
        # solution code) until told to load.
        builder = workspace.spawn("build", self.reference.settings(str(self.solution.resolve())))
        solution = workspace.spawn("solution", self.reference.settings(str(self.solution.resolve())))
        self.build(builder)
        self.take_reference()
        answer(solution, Waiting, self.timeouts.load, "starting", "solution")
        self.load_solution(solution)
        self.check_trials(solution)
        self.read_triton(solution)
        if self.config.time_solution:
            time_until_quiet(self.time_solution(solution), self.loops, self._quietest, self.config)
            self.read_triton(solution)
            self.settle_timings()
            self.check_timed_calls()
            self.check_floor()
            self._stage("time solution")
        if self.config.provenance:  # after timing: the profiler may leave state behind that costs time
            self.measure_provenance(solution)
            self.read_triton(solution)
        if self.config.generalization != "off":
            self.generalize(solution)
        self.verdict.status = Status.PASS  # so far: final once the reference's second loop is in (settle)

    def settle(self) -> None:
        """The sample's timing against all the reference's loops; the floor again (a quieter loop may have left
        out the faster ones); the verdict is final."""
        if self.config.time_solution:
            self.settle_timings()
            self.check_floor()
            self._stage("time reference again")
        self.verdict.status, self.verdict.reason = Status.PASS, pass_reason(self.verdict)

    def build_only(self) -> None:
        self.check_solution(self.solution_source())
        with Workspace(self.config.log_dir, self.config.visible_devices, self.config.server, self.gate) as workspace:
            self.build(workspace.spawn("build", self.reference.settings(str(self.solution.resolve()))))
        self.verdict.status, self.verdict.reason = Status.PASS, "built (not graded)"

    def _stage(self, name: str) -> None:
        self.verdict.stages[name] = round(time.monotonic() - self.started, 3)

    def _ask(self, child: Child, operation: Any, timeout: float, doing: str) -> Any:
        return ask(child, operation, timeout, doing, "solution", self.gate, self.reference.device)

    # -- stages ----------------------------------------------------------------------------------

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

    def build(self, builder: Child) -> None:
        started = time.monotonic()
        built = answer(builder, Built, self.timeouts.build, "building the solution's extensions", "solution")
        builder.kill()  # with anything the solution's import started there: nothing of it runs beside a timing
        self.verdict.build = BuildReport(extensions=built.extensions, seconds=round(time.monotonic() - started, 3),
                                         cache_dir=str(self.reference.cache_dir), triton=built.triton)
        self._stage("build")

    def take_reference(self) -> None:
        """What the problem's reference found, once for all its samples."""
        reference = self.reference
        reference.ready()
        self.verdict.device, self.verdict.sizes = reference.described, reference.sizes
        first = reference.trials[0]
        self.verdict.correctness = CorrectnessReport(oracle=first.oracle, outputs=[str(o) for o in first.outputs])
        self.verdict.work = reference.work
        # The reference's stages on this sample's clock (before its start, where a batch's reference began earlier).
        self.verdict.stages.update({name: round(reference.started + at - self.started, 3)
                                    for name, at in reference.stages.items()})
        self._stage("reference ready")

    def time_solution(self, solution: Child) -> Callable[[int], LoopReport]:
        """One timing loop of the solution on fresh inputs every call, the device to itself; the outputs of the
        spot-checked calls are saved for the oracle."""
        def loop(attempt: int) -> LoopReport:
            checks = {j: str(self._spot_path(attempt, j)) for j in self.seeds.spot_checks}
            operation = Time(seed=self.seeds.timing_for(attempt), scales=self.seeds.scales,
                             profile=self.config.timing, checks=checks)
            if self.gate is None:
                report = self._ask(solution, operation, self.timeouts.timing, "timing the solution")
            else:
                with self.gate.exclusive(solution):
                    report = ask(solution, operation, self.timeouts.timing, "timing the solution", "solution", None,
                                 self.reference.device)
            return check_report("solution", report.report)
        return loop

    def _quietest(self) -> float | None:
        return stats.quietest(self.reference.loops + self.loops)

    def settle_timings(self) -> None:
        """Both models' Timings from their loops so far, each loop judged against the quietest loop of either
        model (harness.common.stats.timing_of). A later, quieter loop only ever leaves out more of the
        solution's loops, never others, so the ones that count were spot-checked."""
        reference_loops = list(self.reference.loops)
        refusal = stats.span_refusal(reference_loops, self.loops)  # each checked in check_report
        on_gpu = reference_loops[0].clock == "cuda-events"
        note = refusal if on_gpu else ""  # the host clock has no spans to refuse
        quietest = stats.quietest(reference_loops + self.loops)
        self.verdict.ref_timing = _timing_of(reference_loops, "reference", quietest, not refusal)
        self.verdict.ref_timing.clock_note = note
        if self.loops:
            self.verdict.sol_timing = _timing_of(self.loops, "solution", quietest, not refusal)
            self.verdict.sol_timing.clock_note = note

    def _spot_path(self, attempt: int, call: int) -> Path:
        assert self.workspace is not None
        return self.workspace.path / f"timed-loop-{attempt}-call-{call}.pt"

    def check_timed_calls(self) -> None:
        """Outputs of timed calls in the kept loops against the oracle: memoized, stale or deferred results fail
        here. (A loop left out of the timing needs no check: nothing it did reaches the verdict.)"""
        report, timing = self.verdict.correctness, self.verdict.sol_timing
        assert report is not None and timing is not None
        kept = [attempt for attempt, loop in enumerate(timing.loops) if loop.kept]
        spots = [(attempt, j, Draw(id=f"timed-{id(self)}-{attempt}-{j}", seed=self.seeds.timing_for(attempt),
                                   scale=call_scale(self.seeds.scales, j)))
                 for attempt in kept for j in self.seeds.spot_checks]
        if not spots:
            return
        oracles = self.reference.prepare([spot for _, _, spot in spots],
                                         "computing the oracle for the spot-checked timed calls")
        for (attempt, j, spot), ref in zip(spots, oracles):
            trial = self._judge_saved(spot.id, self._spot_path(attempt, j), spot.seed, ref, report,
                                      f"timed call {j}", keep=False)
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
                             "measuring whose code does the work").provenance
        self.verdict.provenance = measured
        share = measured.own_share
        if share is not None and share < self.config.min_own_share:
            raise Stop(Status.REJECTED, f"the solution's own code took {share:.1%} of forward's time, under the "
                                        f"required {self.config.min_own_share:.1%}; the rest ran in library code "
                                        f"({', '.join(measured.other_kernels[:2])})")
        self._stage("provenance")

    def generalize(self, solution: Child) -> None:
        """One trial at the problem's SMALL_SIZES: reported, and a failure only where required."""
        report = Generalization()
        self.verdict.generalization = report
        if self.verdict.sizes.startswith("small"):
            report.problem = "graded at the small sizes already"
            return
        sizes = self.reference.small_sizes
        if not sizes:
            report.problem = "the problem defines no SMALL_SIZES"
            return
        report.sizes = sizes
        try:
            self._ask(solution, Resize(), self.timeouts.load, "constructing ModelNew at other sizes")
            assert self.reference.small_trial is not None
            trial = self._trial(solution, SMALL_TRIAL, self.reference.seeds.trials[0], self.reference.small_trial,
                                CorrectnessReport(), "the small-size trial", keep=True)
            report.passed, report.problem = trial.passed, trial.problem
            report.note = small_sizes_note(self.verdict.build, self.read_triton(solution))
        except Stop as stop:
            report.passed, report.problem = False, f"{stop.status.value}: {stop.reason}"
        self._stage("generalization")
        if not report.passed and self.config.generalization == "require":
            raise Stop(Status.INCORRECT, f"wrong at other sizes {sizes}: {report.problem}")

    def load_solution(self, solution: Child) -> None:
        loaded = self._ask(solution, Load(), self.timeouts.load, "loading the solution and constructing ModelNew")
        assert self.verdict.correctness is not None and self.verdict.build is not None
        self.verdict.correctness.weights = loaded.weights
        if loaded.triton is not None:  # how the solution process runs them; the build's compiles first
            built = self.verdict.build.triton
            loaded.triton.events[:0] = built.events if built else []
            self.verdict.build.triton = loaded.triton
        self._stage("load solution")

    def read_triton(self, solution: Child) -> list[TritonEvent]:
        """What Triton compiled, loaded and autotuned in the solution's process since the last read, into the
        verdict's build.triton (nothing to read where the solution does not use Triton)."""
        triton = self.verdict.build.triton if self.verdict.build else None
        if triton is None:
            return []
        events = self._ask(solution, ReadTritonLog(), self.timeouts.load, "reading what Triton compiled").events
        triton.events.extend(events)
        return events

    def check_trials(self, solution: Child) -> None:
        report = self.verdict.correctness
        assert report is not None
        count = len(self.seeds.trials)
        for index, seed in enumerate(self.seeds.trials):
            if index < count - 1:  # the problem's draw: its oracle is kept for the next sample
                trial = self._trial(solution, str(index), seed, self.reference.trials[index], report,
                                    f"trial {index + 1}", keep=True, alone=index == 0 and self._tunes())
            else:  # the sample's own draw
                own = Draw(id=f"own-{id(self)}", seed=seed)
                ref = self.reference.prepare([own], "computing the oracle of the sample's own trial")[0]
                trial = self._trial(solution, own.id, seed, ref, report, f"trial {index + 1}", keep=False)
            report.trials.append(trial)
            if not trial.passed:
                raise Stop(Status.INCORRECT, f"trial {index + 1} of {count}: {trial.problem}")
        self._stage("trials")

    def _trial(self, solution: Child, trial_id: str, seed: int, ref: ReferenceTrial, report: CorrectnessReport,
               what: str, keep: bool, alone: bool = False) -> TrialResult:
        """The solution runs on the trial's inputs (`alone`: with the device to itself, as a timing loop has it);
        the reference process measures the saved outputs."""
        assert self.workspace is not None
        path = self.workspace.path / f"outputs-{trial_id}.pt"
        run = Run(seed=seed, path=str(path))
        if alone and self.gate is not None:
            with self.gate.exclusive(solution):
                ask(solution, run, self.timeouts.run, f"running {what}", "solution", None, self.reference.device)
        else:
            self._ask(solution, run, self.timeouts.run, f"running {what}")
        return self._judge_saved(trial_id, path, seed, ref, report, what, keep)

    def _tunes(self) -> bool:
        """Compiled Triton kernels tune on the first call: their autotuners time configs, so in a batch that call
        has the device to itself."""
        triton = self.verdict.build.triton if self.verdict.build else None
        return triton is not None and not triton.interpreted

    def _judge_saved(self, trial_id: str, path: Path, seed: int, ref: ReferenceTrial, report: CorrectnessReport,
                     what: str, keep: bool) -> TrialResult:
        """The reference process measures outputs the solution saved at `path`; the budget judges them here."""
        errors = self.reference.compare(trial_id, path, f"checking {what}", keep)
        return judge_trial(seed, errors, ref, report)


def _syntax(exc: SyntaxError) -> str:
    return f"{Path(exc.filename or '?').name}:{exc.lineno}: SyntaxError: {exc.msg}"


def _timing_of(loops: list[LoopReport], whose: str, quietest_ms: float | None = None, spans: bool = False) -> Timing:
    """The statistics of `whose` timing loops, computed here from their raw samples (stats.timing_of)."""
    return believable(whose, stats.timing_of, loops, quietest_ms, spans)
