"""`kb-sweep`: the Hydra app that grades problem sets (conf/ at the repository root).

    kb-sweep                                   # the smoke set, settings from conf/config.yaml
    kb-sweep problems=level1 device=cuda trials=3
    kb-sweep timing=quick timing.max_seconds=2
    kb-sweep -m problems=level1,smoke timing=quick,default

Its structured config (harness.tools.sweep_config) holds every grading setting, typed, with the grader's defaults.
Results go to one append-only JSONL file (`results=`); re-running skips finished samples. Each point's output
folder holds Hydra's record of its overrides (.hydra/overrides.yaml), its log with the summary, and `sweep.json`:
what it graded and where the records went; every record carries the overrides too (`overrides`).

Exit status: 0 when every sample of every sweep point passed (graded now or recorded before), 1 when any did
not, 2 when a setting or a path was bad (nothing graded at that point).
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import logging
import os
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import CompactHydraException, MissingConfigException, OverrideParseException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

from ..common.errors import BadInput
from ..common.settings import configure
from ..wire.launch import HARNESS_ROOT
from .results import ResultStore, sample_key
from .samples import find_samples
from .sweep import SweepSummary, sweep
from .sweep_config import SWEEP_KEYS, SweepConfig, register

# The repository's conf/, which a wheel carries as harness/conf: Hydra is pointed at whichever this install has.
_PACKAGED = Path(__file__).resolve().parents[1] / "conf"
CONF = str(_PACKAGED if _PACKAGED.is_dir() else HARNESS_ROOT / "conf")
log = logging.getLogger(__name__)  # Hydra's job logging: the console and each job's .log file
register()

# The process kb-sweep started in, and the summaries of the points it ran itself (Hydra's basic launcher runs
# every point in it). A launcher that runs points elsewhere (submitit, SLURM) learns of failures as exceptions.
_ENTRY_PID: int | None = None
_SUMMARIES: list[SweepSummary] = []


class SamplesFailed(Exception):
    """A sweep point, run in a process of its launcher's, graded samples that did not pass."""


@hydra.main(config_path=CONF, config_name="config", version_base=None)
def run_point(cfg: DictConfig) -> None:
    """One sweep point: its settings and samples checked (exit 2 on a bad one), then its samples graded."""
    here = os.getpid() == _ENTRY_PID
    try:
        values = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
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
    point = HydraConfig.get()
    results = Path(cfg.results)
    summary = sweep(samples, config, ResultStore(results, overrides=list(point.overrides.task)),
                    build_jobs=cfg.build_jobs, fork_server=cfg.fork_server, grades_at_once=cfg.grades_at_once)
    done = {"set": cfg.problems.set, **dataclasses.asdict(summary), "results": str(results.resolve()),
            "keys": [sample_key(sample, config) for sample in samples]}
    (Path(point.runtime.output_dir) / "sweep.json").write_text(json.dumps(done, indent=1) + "\n")
    log.info(f"{cfg.problems.set}: {summary.samples} samples, {summary.skipped} already graded, {summary.graded} "
             f"graded now, {summary.passed} of those passed; {summary.not_passed} not passed in all -> {cfg.results}")
    if here:
        _SUMMARIES.append(summary)
    elif summary.not_passed:
        raise SamplesFailed(f"{summary.not_passed} of {summary.samples} samples did not pass")


def main() -> None:
    """The console script: every point, then the exit status of them all.

    A configuration Hydra cannot compose (a key the schema lacks, a value of the wrong type or outside its
    choices, a group option that does not exist) ends in one line naming the key, exit 2, as a bad option of
    `kb grade` does. Hydra prints such an error over several lines and exits 1 unless HYDRA_FULL_ERROR is set,
    when it raises it instead: so it is set here; any other error still raises with its traceback."""
    global _ENTRY_PID
    _ENTRY_PID = os.getpid()
    os.environ.setdefault("HYDRA_FULL_ERROR", "1")
    try:
        run_point()
    except CompactHydraException as exc:
        print(f"kb-sweep: {_one_line(exc)}", file=sys.stderr)
        sys.exit(2)
    sys.exit(1 if any(summary.not_passed for summary in _SUMMARIES) else 0)


def _one_line(exc: BaseException) -> str:
    """The key or override and what is wrong with it, from Hydra's error or the OmegaConf error beneath it."""
    cause = exc.__cause__ if isinstance(exc.__cause__, OmegaConfBaseException) else exc
    what = str(getattr(cause, "msg", None) or cause).strip().splitlines()[0]
    if isinstance(cause, OmegaConfBaseException) and cause.full_key:
        hint = _did_you_mean(cause.full_key) if isinstance(cause, (ConfigKeyError, ConfigAttributeError)) else ""
        return f"{cause.full_key}: {what}{hint}"
    if isinstance(exc, MissingConfigException) and exc.options:
        group, _, option = exc.missing_cfg_file.rpartition("/")
        return f"{group}={option}: no such option; {group} takes {', '.join(exc.options)}"
    if isinstance(exc, OverrideParseException):
        return f"{exc.override}: {what}"
    return what


def _did_you_mean(key: str) -> str:
    """A known key close to a misspelt one, as `configure` names one."""
    parent, _, leaf = key.rpartition(".")
    schema = OmegaConf.structured(SweepConfig)
    node = OmegaConf.select(schema, parent) if parent else schema
    close = difflib.get_close_matches(leaf, list(node), n=1) if isinstance(node, DictConfig) else []
    return f"; did you mean {'.'.join(filter(None, (parent, close[0])))!r}?" if close else ""


if __name__ == "__main__":
    main()
