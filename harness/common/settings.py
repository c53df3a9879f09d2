"""Grading settings, declared once, and the one function every front end builds them with.

`GradeConfig` holds every setting with its default; `configure` builds one from named values (the
command line's options, kb-sweep's Hydra config, the pytest gate's options, keyword arguments of
`harness.grade`), checking each name and value. Imports nothing heavy: the parent never needs torch.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import SettingsError

DEVICES = ("auto", "cuda", "cpu")             # auto: cuda when torch sees a GPU, else cpu
SIZES = ("auto", "full", "small")             # small: the problem's SMALL_SIZES; auto: small on the CPU
GENERALIZATION = ("report", "require", "off")  # the trial at the problem's SMALL_SIZES
BASELINES = ("eager", "compile")              # what the speedup is against: Model as written, or torch.compile(Model)
CHOICES = {"device": DEVICES, "sizes": SIZES, "generalization": GENERALIZATION,  # settings with a closed set
           "baseline": BASELINES}
CACHE_ENV = "KB_CACHE_DIR"


def _at_least(record: Any, low: float, *names: str) -> None:
    for name in names:
        value = getattr(record, name)
        if not value >= low:
            raise SettingsError(f"{_qualified(record, name)} must be at least {low:g}, not {value!r}",
                                _qualified(record, name))


def _above_zero(record: Any, *names: str) -> None:
    for name in names:
        value = getattr(record, name)
        if not value > 0:
            raise SettingsError(f"{_qualified(record, name)} must be above 0, not {value!r}", _qualified(record, name))


def _qualified(record: Any, name: str) -> str:
    """A field's name as configure takes it: "timeouts.load", "timing.max_seconds", "trials"."""
    prefix = {"Timeouts": "timeouts.", "TimingProfile": "timing."}.get(type(record).__name__, "")
    return prefix + name


@dataclass(frozen=True)
class TimingProfile:
    """How hard the timer tries. It stops at `target_rel_width` or `max_seconds`, whichever comes first."""

    warmup_calls: int = 3
    warmup_min_seconds: float = 0.05  # warm-up calls run at least this long, then until the card runs them at a
    warmup_seconds: float = 0.2       # steady pace (stats.steady), at most this long: a card that sat idle runs
                                      # its first calls slower (50 ms without waiting on them was too short)
    min_calls: int = 10
    min_seconds: float = 0.05        # timed calls run at least this long: a 0.4 ms kernel gets ~100 samples, not 10
    max_calls: int = 5000
    target_rel_width: float = 0.02   # (ci_high - ci_low) / median of the 95% interval
    max_seconds: float = 1.0         # wall time of the timed calls, cache flushes included
    retimes: int = 2                 # loops run again, at most, where the machine was slow (harness.common.stats)
    retime_after_seconds: float = 1.0  # pause before each: the machine's slow episodes last seconds

    def __post_init__(self) -> None:
        _at_least(self, 1, "warmup_calls", "min_calls")
        _at_least(self, 0, "warmup_min_seconds", "warmup_seconds", "min_seconds", "retimes", "retime_after_seconds")
        _at_least(self, self.min_calls, "max_calls")
        _above_zero(self, "target_rel_width", "max_seconds")


TIMING_PROFILES = {
    "quick": TimingProfile(warmup_calls=2, warmup_min_seconds=0.05, warmup_seconds=0.05, min_calls=5,
                           min_seconds=0.0, max_calls=200, target_rel_width=0.05, max_seconds=0.5, retimes=0),
    "default": TimingProfile(),
    "precise": TimingProfile(warmup_calls=10, warmup_min_seconds=0.2, warmup_seconds=0.2, min_calls=50,
                             min_seconds=0.5, max_calls=20000, target_rel_width=0.005, max_seconds=5.0, retimes=4),
}


@dataclass(frozen=True)
class Timeouts:
    """Seconds each stage may take before its process is killed and the grade says `timeout`."""

    load: float = 120.0     # import the problem or the solution (builds excluded) and construct the model
    build: float = 900.0    # compile the solution's extensions
    run: float = 120.0      # one correctness trial (the reference: all oracle trials)
    timing: float = 300.0   # timing one model

    def __post_init__(self) -> None:
        _above_zero(self, "load", "build", "run", "timing")


@dataclass(frozen=True)
class GradeConfig:
    device: str = "auto"                 # one of DEVICES
    trials: int = 5                      # correctness trials, each on fresh inputs
    seed: int | None = None              # None: unpredictable seeds, drawn per grade
    timing: TimingProfile = field(default_factory=TimingProfile)
    time_solution: bool = True           # False: check correctness only
    require_own_code: bool = True        # reject forward calls that run none of the solution's compiled code
    min_own_share: float = 0.0           # reject when the solution's own code takes less of forward's time
    provenance: bool = True              # measure that share (GPU: one profiled forward)
    spot_checks: int = 3                 # timed calls whose outputs are checked against the oracle
    sizes: str = "auto"                  # one of SIZES
    baseline: str = "eager"              # one of BASELINES: the reference timed as written or torch.compile'd
    generalization: str = "report"       # one of GENERALIZATION
    timeouts: Timeouts = field(default_factory=Timeouts)
    cache_dir: Path | None = None        # None: default_cache_dir()
    log_dir: Path | None = None          # None: children's logs are deleted after the grade
    visible_devices: str | None = None   # CUDA_VISIBLE_DEVICES for the children (a sweep pins each worker)
    server: Path | None = None           # a fork server's socket (harness.wire.launch): children forked from it

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise SettingsError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}", name)
        _at_least(self, 1, "trials")
        _at_least(self, 0, "spot_checks")
        if not 0 <= self.min_own_share <= 1:
            raise SettingsError(f"min_own_share is a share of forward's time, 0 to 1, not {self.min_own_share!r}",
                                "min_own_share")


def default_cache_dir() -> Path:
    """Where extensions are built: $KB_CACHE_DIR, else ~/.cache/kb-grader/extensions."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kb-grader" / "extensions"


def configure(values: Mapping[str, Any] | None = None, /, base: GradeConfig | None = None,
              **more: Any) -> GradeConfig:
    """A GradeConfig from named values over `base` (default: every default).

    Names are GradeConfig's fields. `timing` takes a profile name (TIMING_PROFILES), a TimingProfile, or a
    mapping of a `profile` and fields to change in it; `timeouts` a Timeouts or a mapping of its fields; dotted
    names reach inside both (`timeouts.load`, `timing.max_seconds`). None stands for "not given". An unknown
    name, or a value of the wrong type or out of range, is a SettingsError that names it.
    """
    given = _nested({**(values or {}), **more})
    config = base or GradeConfig()
    changes = {}
    for name, value in given.items():
        if name == "timing":
            changes[name] = _timing(value, config.timing)
        elif name == "timeouts":
            changes[name] = _record(Timeouts, value, config.timeouts, "timeouts")
        else:
            changes[name] = _typed(name, value, _FIELD_TYPES[name])
    try:
        return dataclasses.replace(config, **changes)
    except TypeError as exc:  # a value the checks in __post_init__ could not even compare
        raise SettingsError(f"a setting has a value of the wrong type: {exc}") from None


_FIELD_TYPES = typing.get_type_hints(GradeConfig)
SETTINGS = tuple(_FIELD_TYPES)  # every setting's name, as configure takes them


def _nested(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted names folded into mappings; None (not given) left out; every top-level name checked."""
    nested: dict[str, Any] = {}
    for name, value in values.items():
        top, _, inner = str(name).partition(".")
        _known(top, _FIELD_TYPES, "setting")
        if value is None:
            continue
        if not inner:
            earlier = nested.get(top)  # dotted parts given before the whole: they still apply
            nested[top] = {**_as_mapping(value, top), **earlier} if isinstance(earlier, dict) else value
            continue
        if top not in ("timing", "timeouts"):
            raise SettingsError(f"setting {top!r} has no part {inner!r}: only timing.* and timeouts.* do", name)
        part = nested.setdefault(top, {})
        if not isinstance(part, dict):
            part = nested[top] = _as_mapping(part, top)
        part[inner] = value
    return nested


def _as_mapping(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, str) and what == "timing":
        return {"profile": value}
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise SettingsError(f"{what} takes a mapping of its fields, not {value!r}", what)


def _timing(value: Any, current: TimingProfile) -> TimingProfile:
    if isinstance(value, TimingProfile):
        return value
    fields = _as_mapping(value, "timing")
    name = fields.pop("profile", None)
    if name is not None:
        _known(name, TIMING_PROFILES, "timing profile", setting="timing")
        current = TIMING_PROFILES[name]
    return _record(TimingProfile, fields, current, "timing")


def _record(cls: type, value: Any, current: Any, what: str) -> Any:
    """`current` with the fields named in `value` (a mapping, or an instance of `cls` that replaces it)."""
    if isinstance(value, cls):
        return value
    hints = typing.get_type_hints(cls)
    changes = {}
    for name, item in _as_mapping(value, what).items():
        _known(name, hints, f"{what} field", prefix=f"{what}.")
        if item is not None:
            changes[name] = _typed(f"{what}.{name}", item, hints[name])
    return dataclasses.replace(current, **changes)


def _typed(name: str, value: Any, kind: Any) -> Any:
    """`value` as the field's type: ints stay ints (no bools), floats take ints, paths take strings."""
    options = [k for k in typing.get_args(kind) if k is not type(None)] if typing.get_args(kind) else [kind]
    for option in options:
        if option is bool and isinstance(value, bool):
            return value
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if option is str and isinstance(value, str):
            return value
        if option is Path and isinstance(value, (str, os.PathLike)):
            return Path(value)
    wanted = " or ".join(getattr(o, "__name__", str(o)) for o in options)
    raise SettingsError(f"setting {name} takes {wanted}, not {value!r}", name)


def _known(name: str, names: Any, what: str, prefix: str = "", setting: str = "") -> None:
    if name in names:
        return
    close = difflib.get_close_matches(name, list(names), n=1)
    hint = f"; did you mean {prefix + close[0]!r}?" if close else f"; known: {', '.join(prefix + n for n in names)}"
    raise SettingsError(f"unknown {what} {prefix + name!r}{hint}", setting or prefix + name)
