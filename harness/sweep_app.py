"""`kb-sweep`: the Hydra app that grades problem sets (conf/ at the repository root).

    kb-sweep                                   # the smoke set, settings from conf/config.yaml
    kb-sweep problems=level1 device=cuda
    kb-sweep -m problems=level1,smoke timing=quick,default

Results go to one append-only JSONL file (`results=`); re-running skips finished pairs.
"""
from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

from .config import TIMING_PROFILES, GradeConfig
from .results import ResultStore, find_pairs
from .sweep import sweep

# A console script has no package-relative config: point Hydra at the repository's conf/.
CONF = str(Path(__file__).resolve().parent.parent / "conf")


@hydra.main(config_path=CONF, config_name="config", version_base=None)
def main(cfg: DictConfig) -> None:
    config = GradeConfig(device=cfg.device, trials=cfg.trials, timing=TIMING_PROFILES[cfg.timing.profile],
                         require_own_code=cfg.require_own_code, min_own_share=cfg.min_own_share,
                         spot_checks=cfg.spot_checks, sizes=cfg.sizes, generalization=cfg.generalization,
                         cache_dir=Path(cfg.cache_dir) if cfg.cache_dir else None)
    names = list(cfg.problems.names) if cfg.problems.names else None
    pairs = find_pairs(Path(cfg.solutions), Path(cfg.problems_dir), sets=[cfg.problems.set], names=names)
    summary = sweep(pairs, config, ResultStore(Path(cfg.results)), build_jobs=cfg.build_jobs,
                    fork_server=cfg.fork_server)
    print(f"{cfg.problems.set}: {summary.pairs} pairs, {summary.skipped} already graded, {summary.graded} graded "
          f"now, {summary.passed} of those passed -> {cfg.results}")


if __name__ == "__main__":
    main()
