"""Everything that crosses between the parent and a child, one definition each.

A child is started with its role's settings (ChildSettings or LintSettings) and first says it has
started (Started, Waiting or Built below). Then the parent sends operations: each is an Operation that
names its answer (`class Count(Operation, answer=Counted)`), and the child sends exactly that, or
`Failed`. Statuses cross as harness.common.verdict.Status. harness.wire.codec carries them as JSON and
checks every field.

Which operations each role serves is the child's dispatch table (harness.child.*): an operation a
role does not serve is answered with Failed(ERROR) naming it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..common.lint import LintReport
from ..common.settings import GradeConfig, TimingProfile
from ..common.stats import LoopReport
from ..common.verdict import (Extension, OutputError, OutputSpec, Provenance, Status, TritonEvent, TritonReport,
                              Work)

# --- the settings a child starts with ---------------------------------------------------------------


@dataclass(frozen=True)
class ChildSettings:
    """What the reference, build and solution processes are told when they start; built from the grade's
    settings by `for_grade`, the only place that maps one to the other."""

    problem: str           # the problem file
    solution: str          # the solution file ("" for the reference: it never learns it)
    device: str            # as asked: "auto" resolves the same way in every process
    sizes: str             # "auto", "full" or "small"
    weight_seed: int       # Model and ModelNew are constructed after torch.manual_seed(weight_seed)
    cache_dir: str         # the extension cache
    require_own_code: bool
    baseline: str          # "eager" or "compile": what the reference times (harness.child.baseline)

    @classmethod
    def for_grade(cls, config: GradeConfig, problem: str, solution: str, weight_seed: int,
                  cache_dir: str) -> "ChildSettings":
        return cls(problem=problem, solution=solution, device=config.device, sizes=config.sizes,
                   weight_seed=weight_seed, cache_dir=cache_dir, require_own_code=config.require_own_code,
                   baseline=config.baseline)


@dataclass(frozen=True)
class LintSettings:
    """What a lint process is told when it starts: one problem file, where, and at what size."""

    problem: str
    device: str    # "auto", "cuda" or "cpu"
    full: bool     # full size on the CPU too


# --- answers ----------------------------------------------------------------------------------------


@dataclass
class Failed:
    """A role could not do what it was asked: the status says whose fault, the reason why in one line."""

    status: Status
    reason: str
    detail: str = ""


@dataclass
class Started:
    """The reference's and a lint process's first answer: where it runs, and the problem's sizes."""

    device: str          # "cuda" or "cpu"
    device_name: str
    torch: str
    cuda: str | None
    sizes: str           # "full", or "small {...}" ("" from a lint process: its report says)


@dataclass
class Waiting:
    """The solution process's first answer: torch imported, the problem loaded, no solution code yet."""


@dataclass
class Built:
    """The build process's only answer: the solution's extensions, built or found in the cache, and its Triton
    kernels compiled (on a GPU, by one forward of ModelNew)."""

    extensions: list[Extension]
    triton: TritonReport | None = None   # None: the solution does not use Triton


@dataclass
class Done:
    """Done, and nothing to say."""


@dataclass
class Draw:
    """One draw of inputs: a trial's (scale 1), or a timed call's (its seed and per-call scale)."""

    id: str
    seed: int
    scale: float = 1.0


@dataclass
class ReferenceTrial:
    """The reference's outputs for one draw, how they were checked, and the reference's own error."""

    outputs: list[OutputSpec]
    oracle: str                     # "float64", or "reference" where the float64 copy could not run
    ref_errors: list[OutputError]   # the reference against the oracle: the budget follows it


@dataclass
class Prepared:
    trials: list[ReferenceTrial]


@dataclass
class Counted:
    work: Work | None   # None where torch's formulas cannot follow the forward: no floor


@dataclass
class Timed:
    report: LoopReport


@dataclass
class Compared:
    errors: list[OutputError]


@dataclass
class Resized:
    sizes: dict[str, int] | None   # None: the problem defines no SMALL_SIZES


@dataclass
class SolutionLoaded:
    weights: str                   # how ModelNew got the reference's weights
    extensions: list[Extension]
    triton: TritonReport | None = None  # how its Triton kernels run here, and what compiled while it loaded


@dataclass
class Measured:
    provenance: Provenance


@dataclass
class TritonLog:
    events: list[TritonEvent]      # what Triton compiled and tuned since the last ReadTritonLog


@dataclass
class Linted:
    report: LintReport


# --- operations, each with its answer ---------------------------------------------------------------


class Operation:
    """What the parent asks of a child. Each subclass is a dataclass of the operation's arguments and names the
    answer it gets back (`answer=`, kept as `Answer`)."""

    Answer: ClassVar[type]

    def __init_subclass__(cls, answer: type, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.Answer = answer
        dataclass(cls)


class Prepare(Operation, answer=Prepared):
    """Reference: outputs and the float64 oracle for each draw, kept until compared."""
    trials: list[Draw]


class Count(Operation, answer=Counted):
    """Reference: the FLOPs and bytes of one forward on the draw of `seed`."""
    seed: int


class Time(Operation, answer=Timed):
    """Reference or solution: one timing loop on fresh inputs every call; the solution saves the outputs of
    the calls in `checks` (call index -> file) instead of timing them."""
    seed: int
    scales: int
    profile: TimingProfile
    checks: dict[int, str] = field(default_factory=dict)


class Load(Operation, answer=SolutionLoaded):
    """Solution: import the solution, construct ModelNew, give it the reference's weights."""


class Run(Operation, answer=Done):
    """Solution: one checked forward on the draw of `seed`, its outputs saved at `path`."""
    seed: int
    path: str


class Compare(Operation, answer=Compared):
    """Reference: measure the outputs the solution saved at `path` against the oracle of draw `trial`; the
    oracle is kept for the next sample where `keep` (a batch shares one problem's trials), else let go."""
    trial: str
    path: str
    keep: bool


class MeasureProvenance(Operation, answer=Measured):
    """Solution: the share of one forward's time in the solution's own code."""
    seed: int


class ReadTritonLog(Operation, answer=TritonLog):
    """Solution: what Triton compiled, loaded from its cache and autotuned since the last ask, and in which stage."""


class Resize(Operation, answer=Resized):
    """Reference or solution: the problem at its SMALL_SIZES, the model constructed again."""


class Restore(Operation, answer=Done):
    """Reference: back to the graded sizes, after the small-size trial."""


class Lint(Operation, answer=Linted):
    """Lint: every check on the problem the process started with."""


OPERATIONS = tuple(Operation.__subclasses__())  # every operation, in the order a grade first sends each
