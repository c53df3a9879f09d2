"""`kb-sweep`: the Hydra app that grades problem sets (conf/ at the repository root).

    kb-sweep                                   # the smoke set, settings from conf/config.yaml
    kb-sweep problems=level1 device=cuda
    kb-sweep -m problems=level1,smoke timing=quick,default

Results go to one append-only JSONL file (`results=`); re-running skips finished pairs. Every key of the
config but the sweep's own (`SWEEP_KEYS`) is a grading setting, built by harness.common.settings.configure
as every front end builds them: null keeps the grader's default.
"""
from __future__ import annotations

import logging
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from ..common.settings import configure
from ..wire.launch import HARNESS_ROOT
from .results import ResultStore, find_pairs
from .sweep import sweep

# The repository's conf/, which a wheel carries as harness/conf: Hydra is pointed at whichever this install has.
_PACKAGED = Path(__file__).resolve().parents[1] / "conf"
CONF = str(_PACKAGED if _PACKAGED.is_dir() else HARNESS_ROOT / "conf")
log = logging.getLogger(__name__)  # Hydra's job logging: the console and each job's .log file
SWEEP_KEYS = ("solutions", "problems_dir", "problems", "results", "build_jobs", "fork_server", "grades_at_once")


@hydra.main(config_path=CONF, config_name="config", version_base=None)
def main(cfg: DictConfig) -> None:
    values = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(values, dict)
    config = configure({str(key): value for key, value in values.items() if key not in SWEEP_KEYS})
    names = list(cfg.problems.names) if cfg.problems.names else None
    pairs = find_pairs(Path(cfg.solutions), Path(cfg.problems_dir), sets=[cfg.problems.set], names=names)
    summary = sweep(pairs, config, ResultStore(Path(cfg.results)), build_jobs=cfg.build_jobs,
                    fork_server=cfg.fork_server, grades_at_once=cfg.grades_at_once)
    log.info(f"{cfg.problems.set}: {summary.pairs} pairs, {summary.skipped} already graded, {summary.graded} graded "
             f"now, {summary.passed} of those passed -> {cfg.results}")


if __name__ == "__main__":
    main()
