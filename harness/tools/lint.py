"""`kb lint`'s parent side: find the problem files, lint each in a child process of its own, render the rows.

The checks themselves run in the child (harness.child.lint), one process per problem, forked from a
`kb serve` of the lint's own (harness.wire.launch) in a private working directory
(harness.parent.workspace), as a grade's processes are: an import error, a segfault or a hang is one
failed row, and problems never share globals.
"""
from __future__ import annotations

import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from ..common.errors import BadInput
from ..common.lint import LintReport, problem_name
from ..common.verdict import plain
from ..parent.workspace import Workspace
from ..wire.channel import ChildFailed, ChildTimedOut
from ..wire.launch import HARNESS_ROOT, running
from ..wire.messages import Failed, Lint, LintSettings, Started

PROBLEMS = HARNESS_ROOT / "problems"   # what `kb lint` checks when given no paths (the repository's problems)
DEFAULT_TIMEOUT = 300.0


def find_problems(targets: list[Path]) -> list[Path]:
    """Problem files named, or found in the named folders (<dir>/*.py and <dir>/*/*.py)."""
    found: list[Path] = []
    for target in targets:
        if target.is_dir():
            found.extend(p for pattern in ("*.py", "*/*.py") for p in sorted(target.glob(pattern))
                         if p.name != "__init__.py")
        elif target.is_file():
            found.append(target)
        else:
            raise FileNotFoundError(f"{target} does not exist")
    return list(dict.fromkeys(found))


def lint_all(paths: list[Path], device: str, full: bool, timeout: float = DEFAULT_TIMEOUT, jobs: int = 1,
             progress: Callable[[LintReport], None] | None = None) -> list[LintReport]:
    """Every problem in a child of its own, `jobs` at a time, forked from a server this lint runs. Raises BadInput
    where the device cannot be had (`--device cuda` without CUDA)."""
    # Every lint counts a full-size problem on the meta device, whose first op imports torch._dynamo: seconds
    # a problem, once in the server instead.
    with tempfile.TemporaryDirectory(prefix="kb-lint-") as private, \
            running(Path(private) / "server.sock", preload=("torch._dynamo",)) as server:
        def one(path: Path) -> LintReport:
            report = lint_in_child(path, device, full, timeout, server.socket)
            if progress:
                progress(report)
            return report

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            return list(pool.map(one, paths))


def lint_in_child(path: Path, device: str, full: bool, timeout: float, server: Path | None = None) -> LintReport:
    """The lint of one problem in a child process; a crash, hang or unreadable answer is a failed row."""
    began = time.monotonic()
    with Workspace(None, None, server) as workspace:
        child = workspace.spawn("lint", LintSettings(problem=str(Path(path).resolve()), device=device, full=full))
        try:
            hello = child.receive(Started, timeout, "starting")
            if isinstance(hello, Failed):
                raise BadInput(hello.reason)  # no such device here: nothing can be linted
            answer = child.ask(Lint(), max(1.0, timeout - (time.monotonic() - began)), "linting the problem")
        except ChildTimedOut:
            return _failed_row(path, device, f"timed out after {timeout:g} s (a hang, or too heavy at this size)",
                               time.monotonic() - began)
        except ChildFailed as failure:
            last = failure.stderr_tail.strip().splitlines()[-1:] or ["no output"]
            return _failed_row(path, device, f"the lint process {failure.what}: {last[0][:300]}",
                               time.monotonic() - began)
    if isinstance(answer, Failed):
        return _failed_row(path, device, answer.reason, time.monotonic() - began)
    return answer.report


def _failed_row(path: Path, device: str, reason: str, seconds: float) -> LintReport:
    report = LintReport(problem=str(path), name=problem_name(path), device=device)
    report.add("runs", False, reason)
    report.seconds = round(seconds, 2)
    return report.finish()


# --- rendering --------------------------------------------------------------------------------

def _si(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{prefix}{unit}"
    return f"{value:.3g}{unit}"


def _ms(report: LintReport) -> str:
    if report.measured_ms is not None:
        return f"{report.measured_ms:.3g}"
    return f"~{report.work.est_ms:.3g}" if report.work else "-"


def render_table(reports: list[LintReport]) -> str:
    width = max([len(r.name) for r in reports] + [7])
    head = f"{'problem':<{width}}  {'status':<6}  {'flops':>7}  {'bytes':>7}  {'ms':>7}  failed checks"
    lines = [head, "-" * len(head)]
    for r in reports:
        moved = r.work.read_bytes + r.work.written_bytes if r.work else None
        failed = ", ".join(c.name for c in r.failed) or "-"
        lines.append(f"{r.name:<{width}}  {r.status.upper():<6}  {_si(r.work.flops if r.work else None):>7}  "
                     f"{_si(moved, 'B'):>7}  {_ms(r):>7}  {failed}")
        lines.extend(f"{'':<{width}}    {c.name}: {c.reason}" for c in r.failed)
        lines.extend(f"{'':<{width}}    warning: {w}" for w in r.warnings)
    passed = sum(r.status == "pass" for r in reports)
    warned = sum(bool(r.warnings) for r in reports)
    lines.append("")
    lines.append(f"{len(reports)} problems: {passed} pass, {len(reports) - passed} fail, {warned} with warnings "
                 f"(ms: ~ estimated for one H100 at full size, else measured)")
    return "\n".join(lines)


def to_json(reports: list[LintReport]) -> str:
    return json.dumps([plain(r) | {"failed": [c.name for c in r.failed]} for r in reports], indent=2)
