"""The verdict: a typed record of one grade, and the closed set of statuses.

Everything the grader says about a solution ends up here. The parent process
builds it from what the children report; nothing in it comes from solution
code unchecked.
"""
from __future__ import annotations

import dataclasses
import enum
import json
import math
from dataclasses import dataclass, field
from typing import Any

from .version import VERSION


class Status(str, enum.Enum):
    """Outcome of a grade. Closed set: tools may switch on these words."""

    PASS = "pass"                    # built, correct on every trial, timed
    COMPILE_ERROR = "compile_error"  # an extension failed to build
    LOAD_ERROR = "load_error"        # solution file could not be imported or ModelNew not built
    RUNTIME_ERROR = "runtime_error"  # forward raised (CUDA errors and out-of-memory included)
    INCORRECT = "incorrect"          # wrong shape, dtype, values, or non-finite outputs
    TIMEOUT = "timeout"              # a stage ran past its time limit
    CRASHED = "crashed"              # the solution's process died without reporting
    REJECTED = "rejected"            # ran and matched, but broke a grading rule
    UNSUPPORTED = "unsupported"      # needs a device this machine does not have
    ERROR = "error"                  # the grader could not grade (bad input, broken problem)

    @property
    def exit_code(self) -> int:
        """0 accepted, 1 graded and not accepted, 2 could not grade."""
        if self is Status.PASS:
            return 0
        if self in (Status.ERROR, Status.UNSUPPORTED):
            return 2
        return 1


@dataclass
class Extension:
    """One extension the solution built (or took from the cache)."""

    name: str
    key: str            # content hash: sources, flags, toolchain, arch
    cached: bool        # True when nothing was compiled
    seconds: float      # time spent in load_inline/load, build included


@dataclass
class TritonEvent:
    """One thing Triton did for the solution before (or while) it was timed."""

    kernel: str         # the @triton.jit function
    action: str         # "compiled", "loaded" (from the solution's own Triton cache: nothing compiled), "autotuned"
    seconds: float      # the compile as Triton's compiler timed it; an autotune's benchmarks, its last launch included
    stage: str          # where: "build" (the build process), "load", "trials" (the first checked calls), "warm-up",
    #                     "timed calls", "provenance" or "small sizes" (the generalization trial)
    detail: str = ""    # compiled: num_warps and num_stages; autotuned: the config chosen and the key it was chosen for


@dataclass
class TritonReport:
    """The solution's Triton kernels: how they ran, where their binaries live, what compiled and tuned when."""

    version: str
    interpreted: bool   # True: Triton's interpreter ran them (TRITON_INTERPRET=1; always without CUDA): Python on the
    #                     host, so the solution's time is no speedup claim
    cache_dir: str      # the solution's own Triton cache, keyed by its content
    events: list[TritonEvent] = field(default_factory=list)


@dataclass
class BuildReport:
    extensions: list[Extension] = field(default_factory=list)
    seconds: float = 0.0
    cache_dir: str = ""
    triton: TritonReport | None = None  # None: the solution does not use Triton

    @property
    def compiled_anything(self) -> bool:
        return any(not e.cached for e in self.extensions)


@dataclass
class OutputSpec:
    """An output's dtype and shape, as "float32[8, 128]" reads."""

    dtype: str
    shape: list[int]

    def __str__(self) -> str:
        return f"{self.dtype}{self.shape}"


@dataclass
class OutputError:
    """One output against its oracle (measured in the reference process). `problem` is set when no number makes
    sense: wrong shape, dtype or count, NaN where the oracle is finite, unequal integers."""

    rel_err: float = 0.0     # ||out - oracle|| / ||oracle||; inf where `problem` makes it meaningless
    elem_err: float = 0.0    # max |out - oracle| / (|oracle| + rms(oracle))
    worst: str = ""          # "[0, 5, 17, 3]: got 1.234, expected 1.301"
    problem: str = ""

    @classmethod
    def unmeasurable(cls, problem: str) -> "OutputError":
        return cls(rel_err=float("inf"), elem_err=float("inf"), problem=problem)


@dataclass
class TrialResult:
    """Error of one trial's outputs against the float64 oracle."""

    seed: int
    rel_err: float          # ||out - oracle|| / ||oracle||, worst over outputs
    elem_err: float         # max |out - oracle| / (|oracle| + rms(oracle)), worst over outputs
    ref_rel_err: float      # the same two numbers for the PyTorch reference itself
    ref_elem_err: float
    passed: bool
    problem: str = ""       # why it failed, one line; empty when passed


@dataclass
class CorrectnessReport:
    trials: list[TrialResult] = field(default_factory=list)
    timed_checks: list[TrialResult] = field(default_factory=list)  # outputs of timed calls, spot-checked
    oracle: str = "float64"       # "float64", or "reference" where the float64 run was impossible
    rel_budget: float = 0.0       # largest accepted rel_err
    elem_budget: float = 0.0      # largest accepted elem_err
    weights: str = ""             # how ModelNew got the reference's weights: name, order or seed
    outputs: list[str] = field(default_factory=list)  # "float32[8, 128, 508, 250]" per output

    @property
    def max_rel_err(self) -> float | None:
        return max((t.rel_err for t in self.trials), default=None)


@dataclass
class TimingLoop:
    """One timing loop of a model: its own median, and how fast the timer itself ran meanwhile."""

    median_ms: float
    calls: int
    empty_call_ms: float | None   # median of empty calls timed between the loop's calls, the same way
    kept: bool = True             # pooled into the Timing; False: left out, run while the machine was slow
    seconds: float | None = None  # the loop's wall time, warm-up included
    warmup_seconds: float | None = None  # of it, the warm-up's: until the calls ran at a steady pace
    power_limited: float | None = None  # share of its timed calls' time the card's clock was held down by its
    #                                     power or thermal limit (the driver's count); None where not counted
    cpu_wait: float | None = None  # host clock: share of the time its threads were ready to run that they waited
    #                                for a CPU (the scheduler's count): other processes held the cores
    recompiles: int | None = None  # the compile baseline: frames torch compiled during the loop (a loop that
    #                                compiled is refused, so 0); None where the model was not compiled


@dataclass
class Timing:
    """Median time of one model's forward with a distribution-free 95% interval."""

    median_ms: float
    ci_low_ms: float
    ci_high_ms: float
    calls: int
    seconds: float          # wall time spent timing, warm-up and left-out loops included
    clock: str              # "cupti-span" (the device's own record), "cuda-events" or "host" (harness.child.timing)
    loops: list[TimingLoop] = field(default_factory=list)  # every loop run, kept (pooled above) or not
    empty_call_ms: float | None = None  # the kept loops' quietest empty call: the timer's own cost, not subtracted
    disturbed: bool = False  # even the kept loops ran while the timer was slow (harness.common.stats): grade again
    event_median_ms: float | None = None  # with the span clock: the same calls by CUDA events, host lead and tail in
    clock_note: str = ""     # on a GPU, why the grade fell back to the event clock
    power_limited: float | None = None  # the most any kept loop spent at the card's power or thermal limit
    cpu_wait: float | None = None  # the most any kept loop's threads waited for a CPU, as a share of their ready time
    contended: bool = False  # cpu_wait reached stats.CONTENDED_SHARE: the machine's other processes held the cores
    #                          while this was timed, and the time moves with their load; grade on a quiet machine


@dataclass
class Work:
    """What one forward must do, counted from the reference, and the card's floor under its time."""

    flops: int               # floating-point operations (0 where torch's formulas count none)
    read_bytes: int          # inputs, parameters and buffers: each read at least once a call
    written_bytes: int = 0   # the outputs
    floor_ms: float | None = None  # the least time the card allows; None where its peaks are unknown (CPU, unlisted)


@dataclass
class Provenance:
    """How one forward's time divides between the solution's own compiled code and library code."""

    own_share: float | None = None              # own time / all time; None where unmeasured
    method: str = ""                            # "profiler" (GPU kernels) or "host timer" (CPU)
    own_kernels: list[str] = field(default_factory=list)     # names, busiest first
    other_kernels: list[str] = field(default_factory=list)   # library kernels, busiest first
    note: str = ""                              # why the share could not be measured, if so


@dataclass
class Generalization:
    """One trial at other sizes (the problem's SMALL_SIZES): does the solution hard-code its sizes?"""

    sizes: dict[str, int] = field(default_factory=dict)
    passed: bool | None = None   # None: not run (no SMALL_SIZES, or graded at those sizes already)
    problem: str = ""            # why it failed, or why it was not run
    note: str = ""               # Triton at these sizes: which autotuned kernels re-tuned, which kept their config


@dataclass
class Verdict:
    status: Status
    reason: str
    solution: str
    problem: str
    device: str = ""
    sizes: str = ""               # "full", or "small {...}": the problem's SMALL_SIZES
    baseline: str = "eager"       # what the reference was timed as: "eager" (Model) or "compile" (torch.compile)
    build: BuildReport | None = None
    correctness: CorrectnessReport | None = None
    ref_timing: Timing | None = None
    sol_timing: Timing | None = None
    work: Work | None = None
    provenance: Provenance | None = None
    generalization: Generalization | None = None
    seconds: float = 0.0          # wall time of the whole grade
    stages: dict[str, float] = field(default_factory=dict)  # seconds from the start to the end of each stage
    detail: str = ""              # longer evidence: compiler errors, traceback, the child's last stderr lines
    log_dir: str = ""             # where the children's stdout/stderr were kept, if anywhere
    grader_version: str = VERSION  # the kb-grader that made this verdict

    @property
    def passed(self) -> bool:
        return self.status is Status.PASS

    @property
    def ref_ms(self) -> float | None:
        return self.ref_timing.median_ms if self.ref_timing else None

    @property
    def sol_ms(self) -> float | None:
        return self.sol_timing.median_ms if self.sol_timing else None

    @property
    def speedup(self) -> float | None:
        if self.ref_timing and self.sol_timing and self.sol_timing.median_ms > 0:
            return self.ref_timing.median_ms / self.sol_timing.median_ms
        return None

    @property
    def roofline_fraction(self) -> float | None:
        """The card's floor over the solution's time: 1.0 would be the card's peak."""
        if self.work and self.work.floor_ms and self.sol_ms:
            return self.work.floor_ms / self.sol_ms
        return None

    @property
    def speedup_ci(self) -> tuple[float, float] | None:
        """Conservative 95% interval: the slowest and fastest the two medians allow."""
        r, s = self.ref_timing, self.sol_timing
        if not (r and s) or s.ci_low_ms <= 0:
            return None
        return (r.ci_low_ms / s.ci_high_ms, r.ci_high_ms / s.ci_low_ms)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "passed": self.passed,
            "status": self.status.value,
            "reason": self.reason,
            "speedup": self.speedup,
            "speedup_ci": list(self.speedup_ci) if self.speedup_ci else None,
            "ref_ms": self.ref_ms,
            "sol_ms": self.sol_ms,
            "roofline_fraction": self.roofline_fraction,
        }
        for f in dataclasses.fields(self):
            if f.name not in ("status", "reason"):
                d[f.name] = plain(getattr(self, f.name))
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, default=str)


def plain(value: Any) -> Any:
    """Dataclasses to dicts, enums to their values, non-finite floats to strings (JSON has no NaN)."""
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value
