"""The pytest gate: one test per solution/problem pair, failing with the verdict's reason.

    pytest --kb-solutions solutions/ [--kb-problems problems/] [--kb-device cuda|cpu]
           [--kb-min-speedup X] [--kb-server=SOCKET]

(Give path options outside the tree with "=": pytest reads a separate path argument, before this plugin's options
are known, as a place that moves its rootdir, and the tests' ids with it.)

Registered through the `pytest11` entry point, and inert unless --kb-solutions is given.
When it is, and no test paths were named on the command line, only the pairs run.
Works with pytest-xdist: items are made the same way, in the same order, on every worker.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ..common.errors import BadInput
from ..common.settings import DEVICES, TIMING_PROFILES, GradeConfig, configure
from ..common.verdict import Status
from ..parent.files import pair_problem

_DEFAULTS = GradeConfig()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kb", "grade KernelBench-style solutions (kb)")
    group.addoption("--kb-solutions", type=Path, help="solution file or folder: one test per *.py pair")
    group.addoption("--kb-problems", type=Path,
                    help="problems folder mirroring --kb-solutions (default: pair solutions/<set>/<name>.py "
                         "with problems/<set>/<name>.py)")
    group.addoption("--kb-device", choices=DEVICES, default=None,
                    help=f"device to grade on; pairs are skipped where it is absent (default {_DEFAULTS.device})")
    group.addoption("--kb-min-speedup", type=float, default=None,
                    help="also fail pairs whose speedup is not surely this many times the PyTorch reference: the "
                         "lower end of the speedup's 95%% interval must clear it, as kb report's ci_fast_p counts")
    group.addoption("--kb-trials", type=int, default=None,
                    help=f"correctness trials per pair (default {_DEFAULTS.trials})")
    group.addoption("--kb-timing", choices=list(TIMING_PROFILES), default=None,
                    help="timing profile (default: default)")
    group.addoption("--kb-server", type=Path, default=None, metavar="SOCKET",
                    help="fork every grade's processes from this running `kb serve` (no torch import each); "
                         "write --kb-server=SOCKET")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    root = config.getoption("kb_solutions")
    if root is None:
        return
    if not root.exists():
        raise pytest.UsageError(f"--kb-solutions {root}: no such file or folder")
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*.py") if not p.name.startswith("_"))
    base = root.parent if root.is_file() else root
    pairs = [KbPair.from_parent(session, name=p.relative_to(base).with_suffix("").as_posix(), solution=p)
             for p in files]
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        items.clear()  # `pytest --kb-solutions DIR` alone grades, and runs nothing else
    items.extend(pairs)


class KbPair(pytest.Item):
    """Grades one solution file; passes when the verdict does (and the speedup is high enough)."""

    def __init__(self, *, solution: Path, **kwargs):
        super().__init__(**kwargs)
        self.solution = solution

    def _problem(self) -> Path:
        problems = self.config.getoption("kb_problems")
        if problems is None:
            return pair_problem(self.solution)
        root = self.config.getoption("kb_solutions")
        relative = self.solution.name if root.is_file() else self.solution.relative_to(root)
        return problems / relative

    def runtest(self) -> None:
        from ..parent.grade import grade

        config = self._grade_config()
        if config.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                pytest.skip("--kb-device cuda: torch sees no CUDA device here")
        try:
            problem = self._problem()
        except BadInput as exc:
            raise KbFailure(f"error: {exc}") from None
        verdict = grade(self.solution, problem, config)
        self.user_properties.append(("kb_verdict", verdict.to_dict()))
        if verdict.status is Status.UNSUPPORTED:
            pytest.skip(verdict.reason)
        if not verdict.passed:
            raise KbFailure(f"{verdict.status.value}: {verdict.reason}")
        floor = self.config.getoption("kb_min_speedup")
        if floor is not None and verdict.speedup_ci is not None and not verdict.speedup_ci[0] > floor:
            raise KbFailure(f"too slow: {verdict.speedup:.3g}x the PyTorch reference, its interval's lower end "
                            f"{verdict.speedup_ci[0]:.3g}x at or below --kb-min-speedup {floor:g}")

    def _grade_config(self) -> GradeConfig:
        """The options given, as every front end builds settings (harness.common.settings.configure)."""
        try:
            return configure(device=self.config.getoption("kb_device"), trials=self.config.getoption("kb_trials"),
                             timing=self.config.getoption("kb_timing"), server=self.config.getoption("kb_server"))
        except BadInput as exc:
            raise pytest.UsageError(f"kb: {exc}") from None

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, KbFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.solution, None, f"kb {self.name}"


class KbFailure(Exception):
    """A pair that did not pass: reported as one line, not a traceback."""
