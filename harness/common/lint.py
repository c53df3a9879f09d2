"""What `kb lint` says of one problem file: its checks, its warnings and its size."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .verdict import Work
from .version import VERSION


@dataclass
class SizeEstimate(Work):
    """A problem's full-size work (counted on the meta device, as a grade counts it) and what kb lint estimates
    from it."""

    outputs: list[str] = field(default_factory=list)  # full-size outputs, "float32[64, 96]"
    est_ms: float = 0.0          # time on one H100 at typical (not peak) rates
    footprint_bytes: int = 0     # memory with the float64 oracle


@dataclass
class Check:
    name: str
    passed: bool
    reason: str   # one line


@dataclass
class LintReport:
    problem: str
    name: str                            # <set>/<name>
    status: str = "fail"                 # pass | fail
    device: str = "cpu"
    sizes: str = ""                      # what size the checks ran at
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    work: SizeEstimate | None = None     # full-size work and the estimates from it
    measured_ms: float | None = None     # --device cuda: the reference's median time at full size
    peak_bytes: int | None = None        # --device cuda: peak allocated memory at full size
    seconds: float = 0.0
    grader_version: str = VERSION        # the kb-grader that linted it

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def add(self, name: str, passed: bool, reason: str) -> bool:
        self.checks.append(Check(name, passed, reason))
        return passed

    def finish(self) -> "LintReport":
        self.status = "pass" if self.checks and not self.failed else "fail"
        return self


def problem_name(path: Path) -> str:
    """<set>/<name> for problems/<set>/<name>.py."""
    return f"{path.parent.name}/{path.stem}"
