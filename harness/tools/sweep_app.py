"""`kb-sweep`: the Hydra app that grades problem sets (conf/ at the repository root).

    kb-sweep                                   # the smoke set, settings from conf/config.yaml
    kb-sweep problems=level1 device=cuda
    kb-sweep -m problems=level1,smoke timing=quick,default

Results go to one append-only JSONL file (`results=`); re-running skips finished samples. Every key of the
config but the sweep's own (`SWEEP_KEYS`) is a grading setting, built by harness.common.settings.configure
as every front end builds them: null keeps the grader's default.

Exit status: 0 when every sample of every sweep point passed (graded now or recorded before), 1 when any did
not, 2 when a setting or a path was bad (nothing graded at that point).
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from ..common.errors import BadInput
from ..common.settings import configure
from ..wire.launch import HARNESS_ROOT
from .results import ResultStore
from .samples import find_samples
from .sweep import SweepSummary, sweep

# The repository's conf/, which a wheel carries as harness/conf: Hydra is pointed at whichever this install has.
_PACKAGED = Path(__file__).resolve().parents[1] / "conf"
CONF = str(_PACKAGED if _PACKAGED.is_dir() else HARNESS_ROOT / "conf")
log = logging.getLogger(__name__)  # Hydra's job logging: the console and each job's .log file
SWEEP_KEYS = ("solutions", "problems_dir", "problems", "results", "build_jobs", "fork_server", "grades_at_once")

# The process kb-sweep started in, and the summaries of the points it ran itself (Hydra's basic launcher runs
# every point in it). A launcher that runs points elsewhere (submitit, SLURM) learns of failures as exceptions.
_ENTRY_PID: int | None = None
_SUMMARIES: list[SweepSummary] = []


class SamplesFailed(Exception):
    """A sweep point, run in a process of its launcher's, graded samples that did not pass."""


@hydra.main(config_path=CONF, config_name="config", version_base=None)
def run_point(cfg: DictConfig) -> None:
    """One sweep point: its samples, graded under its settings."""
    here = os.getpid() == _ENTRY_PID
    try:
        values = OmegaConf.to_container(cfg, resolve=True)
        assert isinstance(values, dict)
        config = configure({str(key): value for key, value in values.items() if key not in SWEEP_KEYS})
        solutions = Path(cfg.solutions) / cfg.problems.set
        names = list(cfg.problems.names) if cfg.problems.names else None
        paths = [str(solutions / f"{name}.py") for name in names] if names else [str(solutions)]
        samples = find_samples(paths, Path(cfg.problems_dir))
    except BadInput as exc:
        if not here:
            raise
        log.error(f"kb-sweep: {exc}")
        sys.exit(2)
    summary = sweep(samples, config, ResultStore(Path(cfg.results)), build_jobs=cfg.build_jobs,
                    fork_server=cfg.fork_server, grades_at_once=cfg.grades_at_once)
    log.info(f"{cfg.problems.set}: {summary.samples} samples, {summary.skipped} already graded, {summary.graded} "
             f"graded now, {summary.passed} of those passed; {summary.not_passed} not passed in all -> {cfg.results}")
    if here:
        _SUMMARIES.append(summary)
    elif summary.not_passed:
        raise SamplesFailed(f"{summary.not_passed} of {summary.samples} samples did not pass")


def main() -> None:
    """The console script: every point, then the exit status of them all."""
    global _ENTRY_PID
    _ENTRY_PID = os.getpid()
    run_point()
    sys.exit(1 if any(summary.not_passed for summary in _SUMMARIES) else 0)


if __name__ == "__main__":
    main()
