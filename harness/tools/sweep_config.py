"""kb-sweep's structured config: Hydra dataclasses derived from the grader's own settings.

GradeConfig (harness.common.settings) declares every grading setting, its type and its default once. This module
turns it into dataclasses that OmegaConf type-checks while Hydra composes the config (a setting with a closed set
of values, `CHOICES`, becomes an enum), and registers them in Hydra's ConfigStore:

- `kb_sweep`: the schema conf/config.yaml extends: the sweep's own keys (`SweepOptions`) and every grading
  setting but `visible_devices` (the sweep pins each grading worker to its card itself);
- group `timing`: one option per timing profile (TIMING_PROFILES), each with every field filled in, so
  `timing=quick timing.max_seconds=2` starts from the quick profile and changes one field.

Ranges (`trials` at least 1, ...) are checked by `configure`, as for every front end, when the job starts.
"""
from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from ..common.settings import CHOICES, SETTINGS, TIMING_PROFILES, GradeConfig, TimingProfile

SCHEMA = "kb_sweep"
DECIDED_BY_THE_SWEEP = ("visible_devices",)


@dataclass
class ProblemSet:
    """conf/problems/*.yaml: a folder of problems/ and solutions/, and optionally the names to take from it."""

    set: str = MISSING
    names: Optional[List[str]] = None


@dataclass
class SweepOptions:
    """The sweep's own settings; paths are relative to where kb-sweep starts."""

    solutions: str = "solutions"             # solutions/<set>/<name>.py
    problems_dir: str = "problems"           # problems/<set>/<name>.py
    problems: ProblemSet = MISSING           # the group conf/problems/
    results: str = "results/results.jsonl"   # one append-only JSONL store; re-running skips what it holds
    build_jobs: int = 2                      # extension builds at a time
    fork_server: bool = True                 # fork every grade's processes from a server of the sweep's own
    grades_at_once: int = 0                  # grades in flight per device (0: 4 on a GPU, 2 on the CPU); timing
                                             # loops stay one at a time


def _typed_field(name: str, hint: Any, default: Any) -> tuple[Any, Any]:
    """The annotation OmegaConf checks a setting's values against, and its default as OmegaConf holds it."""
    options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(options) == 1:
        kind, value = _typed_field(name, options[0], default)
        return Optional[kind], value
    if name in CHOICES:
        kind = enum.Enum(name.title(), {value: value for value in CHOICES[name]})
        return kind, None if default is None else kind[default]
    return (hint if hint in (bool, int, float, str, Path) else Any), default


def _make_node(cls: type, name: str, skip: tuple[str, ...] = (), bases: tuple[type, ...] = ()) -> type:
    """A mutable dataclass with the fields of the settings record `cls`, typed for OmegaConf and defaulting to
    its defaults; a record inside it becomes a node of its own."""
    defaults = cls()
    fields = []
    for field_name, hint in typing.get_type_hints(cls).items():
        if field_name in skip:
            continue
        value = getattr(defaults, field_name)
        if dataclasses.is_dataclass(value):
            kind = _node(type(value))
            fields.append((field_name, kind, field(default_factory=kind)))
        else:
            kind, value = _typed_field(field_name, hint, value)
            fields.append((field_name, kind, field(default=value)))
    node = dataclasses.make_dataclass(name, fields, bases=bases)
    node.__module__ = __name__  # where OmegaConf's messages say the type comes from
    return node


_NODES: dict[type, type] = {}


def _node(cls: type) -> type:
    """One node class per settings record (the timing group's options and the schema's `timing` share it)."""
    if cls not in _NODES:
        _NODES[cls] = _make_node(cls, cls.__name__ + "Node")
    return _NODES[cls]


SweepConfig = _make_node(GradeConfig, "SweepConfig", skip=DECIDED_BY_THE_SWEEP, bases=(SweepOptions,))
TimingNode = _node(TimingProfile)
SWEEP_KEYS = tuple(f.name for f in dataclasses.fields(SweepOptions))  # every other key is a grading setting
assert not set(SWEEP_KEYS) & set(SETTINGS), "a sweep key shadows a grading setting"


def register() -> None:
    """The schema and the timing profiles, in Hydra's ConfigStore (before hydra.main composes the config)."""
    store = ConfigStore.instance()
    store.store(name=SCHEMA, node=SweepConfig)
    for profile, values in TIMING_PROFILES.items():
        store.store(group="timing", name=profile, node=TimingNode(**dataclasses.asdict(values)))
