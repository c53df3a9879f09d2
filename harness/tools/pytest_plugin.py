"""The pytest gate: every solution file is a test, graded against its problem, failing with the verdict's reason.

    pytest solutions/                                  # solutions/<set>/<name>.py with problems/<set>/<name>.py
    pytest solutions/level1/19_ReLU.py --kb-device cpu --kb-timing quick
    pytest runs/my_run --kb-problems=KernelBench/KernelBench   # a KernelBench run folder's samples
    pytest attempts/ --kb-problems=problems/level1/19_ReLU.py  # several samples of one problem
    pytest solutions/ -n 4                             # pytest-xdist

Registered through the `pytest11` entry point. A file is a solution when it is a `.py` file that is not a test
module (python_files), a conftest or private (`_*.py`), lies under a `solutions/` folder (or anywhere, given
--kb-problems), and its problem is found, paired as a batch pairs it (harness.tools.samples); a solution named
on the command line is collected even without one, and fails saying why. pytest never imports a solution: the
grader runs it in processes of its own. Each file is one item, `grade[<set>/<problem>-<sample>]`, made the
same way on every xdist worker.

A test of the user's own calls the `kb_grade` fixture to grade a file and assert on the verdict.
"""
from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any, Callable

import pytest

from ..common.errors import BadInput
from ..common.settings import BASELINES, DEVICES, TIMING_PROFILES, GradeConfig, configure
from ..common.verdict import Status, Verdict
from ..parent.files import pair_problem
from .results import Sample
from .samples import find_samples

_DEFAULTS = GradeConfig()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kb", "grade KernelBench-style solutions (kb)")
    group.addoption("--kb-problems", type=Path,
                    help="a problems folder (<set>/<name>.py for each solution <set>/<name>.py; KernelBench's "
                         "KernelBench/ for its run files, level_<L>_problem_<N>_sample_<S>_kernel.py), or one "
                         "problem file for every solution; solutions are then collected outside a solutions/ "
                         "folder too (default: solutions/<set>/<name>.py pairs with problems/<set>/<name>.py)")
    group.addoption("--kb-device", choices=DEVICES, default=None,
                    help=f"device to grade on; solutions are skipped where it is absent (default {_DEFAULTS.device})")
    group.addoption("--kb-min-speedup", type=float, default=None, metavar="X",
                    help="also fail a solution unless the lower end of its speedup's 95%% interval (the verdict's "
                         "speedup_ci) is above X: the statistic kb report's ci_fast_p counts, not the point estimate")
    group.addoption("--kb-trials", type=int, default=None,
                    help=f"correctness trials per solution (default {_DEFAULTS.trials})")
    group.addoption("--kb-timing", choices=list(TIMING_PROFILES), default=None,
                    help="timing profile (default: default)")
    group.addoption("--kb-baseline", choices=BASELINES, default=None,
                    help=f"what the speedup is against: eager or compile, torch.compile(Model) (default "
                         f"{_DEFAULTS.baseline})")
    group.addoption("--kb-server", type=Path, default=None, metavar="SOCKET",
                    help="fork every grade's processes from this running `kb serve` (no torch import each)")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A solution file found while pytest walks a folder (one named on the command line: see below)."""
    if parent.session.isinitpath(file_path) or not _solution(file_path, parent.config, named=False):
        return None
    return SolutionFile.from_parent(parent, path=file_path)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A solution file named on the command line, which pytest would otherwise import as a test module."""
    if _solution(module_path, parent.config, named=True):
        return SolutionFile.from_parent(parent, path=module_path)
    return None


def pytest_configure(config: pytest.Config) -> None:
    problems = config.getoption("kb_problems")
    if problems is not None and not problems.exists():
        raise pytest.UsageError(f"--kb-problems {problems}: no such file or folder")


def _solution(path: Path, config: pytest.Config, named: bool) -> bool:
    if path.suffix != ".py" or path.name.startswith("_") or path.name == "conftest.py":
        return False
    if any(fnmatch.fnmatch(path.name, pattern) for pattern in config.getini("python_files")):
        return False
    if config.getoption("kb_problems") is None and "solutions" not in path.resolve().parts:
        return False
    try:
        sample_of(path, config)
    except BadInput:
        return named
    return True


def sample_of(solution: Path, config: pytest.Config) -> Sample:
    """The solution with its problem, as a batch pairs them (harness.tools.samples: solutions/<set>/<name>.py,
    a problems folder, KernelBench run files), or against the one problem file --kb-problems names (the sample
    then is the solution's name); BadInput saying why there is none."""
    problems = config.getoption("kb_problems")
    if problems is None:
        problem = pair_problem(solution, option="--kb-problems=PATH")
        return Sample(set=solution.parent.name, name=solution.stem, sample="", solution=solution, problem=problem)
    if problems.is_file():
        return Sample(set=problems.parent.name, name=problems.stem, sample=solution.stem, solution=solution,
                      problem=problems)
    return find_samples([str(solution)], problems)[0]


class SolutionFile(pytest.File):
    """One solution file: one item, `grade[<set>/<problem>-<sample>]` (the sample: the solution's name where
    the problem has one solution), never imported."""

    def collect(self):
        try:
            sample: Sample | BadInput = sample_of(self.path, self.config)
            label = f"{sample.set}/{sample.name}-{sample.sample or self.path.stem}"
        except BadInput as exc:
            sample, label = exc, self.path.stem
        yield SolutionGrade.from_parent(self, name=f"grade[{label}]", sample=sample)


class SolutionGrade(pytest.Item):
    """Grades its file; passes when the verdict does (and, given --kb-min-speedup, the speedup is surely enough)."""

    def __init__(self, *, sample: Sample | BadInput, **kwargs):
        super().__init__(**kwargs)
        self.sample = sample

    def runtest(self) -> None:
        if isinstance(self.sample, BadInput):
            raise KbFailure(f"error: {self.sample}")
        verdict = graded(self, self.sample.solution, self.sample.problem, gate_settings(self.config),
                         batch=_batch_of(self.session))
        if not verdict.passed:
            raise KbFailure(f"{verdict.status.value}: {verdict.reason}")
        floor = self.config.getoption("kb_min_speedup")
        if floor is not None and verdict.speedup_ci is not None and not verdict.speedup_ci[0] > floor:
            raise KbFailure(f"too slow: {verdict.speedup:.3g}x the PyTorch reference, its interval's lower end "
                            f"{verdict.speedup_ci[0]:.3g}x at or below --kb-min-speedup {floor:g}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, KbFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"kb {self.name}"


_BATCH = pytest.StashKey[dict]()


def _batch_of(session: pytest.Session) -> dict[str, Verdict] | None:
    """Every solution item of the session graded at once by the batch engine (harness.parent.batch), at the first
    one's turn: node id -> verdict. Under pytest-xdist each worker learns its items one at a time, so there each
    item is graded alone (xdist runs them side by side)."""
    if hasattr(session.config, "workerinput"):  # an xdist worker (its parent's environment says nothing of this)
        return None
    if _BATCH not in session.stash:
        from ..parent.batch import BatchOptions, Job, grade_batch

        items = [item for item in session.items
                 if isinstance(item, SolutionGrade) and isinstance(item.sample, Sample)]
        config = gate_settings(session.config)
        verdicts: dict[str, Verdict] = {}
        if len(items) > 1 and not (config.device == "cuda" and not _has_cuda()):
            jobs = [Job(index, item.sample.solution, item.sample.problem) for index, item in enumerate(items)]
            grade_batch(jobs, config, lambda job, verdict, _: verdicts.__setitem__(items[job.index].nodeid, verdict),
                        BatchOptions())
        session.stash[_BATCH] = verdicts
    return session.stash[_BATCH]


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


class KbFailure(Exception):
    """A solution that did not pass: reported as one line, not a traceback."""


def gate_settings(config: pytest.Config) -> GradeConfig:
    """The --kb-* options given, built as every front end builds settings (harness.common.settings.configure)."""
    try:
        return configure(device=config.getoption("kb_device"), trials=config.getoption("kb_trials"),
                         timing=config.getoption("kb_timing"), server=config.getoption("kb_server"),
                         baseline=config.getoption("kb_baseline"))
    except BadInput as exc:
        raise pytest.UsageError(f"kb: {exc}") from None


def graded(item: pytest.Item, solution: Path, problem: Path | None, config: GradeConfig,
           batch: dict[str, Verdict] | None = None) -> Verdict:
    """The verdict (from `batch`, the session's, where it has the item), kept in the item's user_properties (JUnit
    XML carries it); skips where the device is absent."""
    from ..parent.grade import grade

    if config.device == "cuda" and not _has_cuda():
        pytest.skip("--kb-device cuda: torch sees no CUDA device here")
    verdict = batch[item.nodeid] if batch and item.nodeid in batch else grade(solution, problem, config)
    item.user_properties.append(("kb_verdict", verdict.to_dict()))
    if verdict.status is Status.UNSUPPORTED:
        pytest.skip(verdict.reason)
    return verdict


@pytest.fixture
def kb_grade(request: pytest.FixtureRequest) -> Callable[..., Verdict]:
    """`kb_grade(solution, problem=None, **settings)`: grade a file and return its Verdict to assert on.

    Settings start from the --kb-* options and take keyword settings over them (harness.GradeConfig's fields,
    dotted names as `**{"timing.max_seconds": 2}`); the problem defaults to the paired one. A grade that needs a
    device this machine lacks skips the test."""
    base = gate_settings(request.config)

    def grade_one(solution: str | Path, problem: str | Path | None = None, **settings: Any) -> Verdict:
        return graded(request.node, Path(solution), None if problem is None else Path(problem),
                      configure(settings, base=base))

    return grade_one
