"""Append-only results: one JSON line per graded sample, keyed by what decides the grade.

A record's key hashes the sample's id, the problem file, the solution file (and the files beside it that
it may read) and the grading settings that change a verdict, so re-running a batch skips
exactly the samples whose grade would not change. Each record also carries its context: those settings, the
card, driver and torch it was graded with, and the grader's version, so that kb report never pools
records made under different conditions. Lines are appended with O_APPEND and
fsync'd one at a time; a sweep killed mid-write leaves at most one torn last line, which
readers skip and the next run grades again.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..common.settings import GradeConfig
from ..common.verdict import Verdict


@dataclass(frozen=True)
class Sample:
    """One solution file and its problem. `sample` tells apart the solutions of one problem ("" where there is
    one, as in solutions/<set>/<name>.py); harness.tools.samples finds them."""

    set: str
    name: str
    sample: str
    solution: Path
    problem: Path

    @property
    def id(self) -> str:
        """`<set>/<name>`, as the pytest gate and reports name it, then `#<sample>` where there is one."""
        return f"{self.set}/{self.name}" + (f"#{self.sample}" if self.sample else "")


def settings_of(config: GradeConfig) -> dict[str, Any]:
    """The settings that can change a verdict, as plain JSON values: not where caches or logs go, how processes
    start, or how long a stage may take before it counts as hung (a limit, not a measure)."""
    settings = dataclasses.asdict(config)
    for irrelevant in ("cache_dir", "log_dir", "timeouts", "visible_devices", "server"):
        settings.pop(irrelevant)
    return json.loads(json.dumps(settings, default=str))


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def sample_key(sample: Sample, config: GradeConfig) -> str:
    """Content hash of the sample's id, its problem, its solution's folder of sources, and the settings. The id is
    in it, so two samples of one problem with the same text are still two records."""
    sources = sorted(p for p in sample.solution.parent.iterdir() if p.suffix in (".cpp", ".cu", ".cuh", ".h"))
    material = {
        "id": sample.id,
        "problem": _digest(sample.problem),
        "solution": _digest(sample.solution),
        "beside": {p.name: _digest(p) for p in sources},
        "settings": settings_of(config),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:32]


# What a record says about where and how it was graded: kb report never pools records that differ in any of these.
CONTEXT_KEYS = ("settings", "card", "driver", "torch", "grader_version")
_DEVICE = re.compile(r"(?P<type>\w+): (?P<card>.*) \(torch (?P<torch>[^)]+)\)")


def environment(verdict: Verdict) -> dict[str, str | None]:
    """The card, its driver and torch a verdict was made with (None where the grade did not get that far)."""
    found = _DEVICE.fullmatch(verdict.device or "")
    if not found:
        return {"card": None, "driver": None, "torch": None}
    return {"card": found["card"], "driver": _nvidia_driver() if found["type"] == "cuda" else None,
            "torch": found["torch"]}


@functools.lru_cache(maxsize=1)
def _nvidia_driver() -> str | None:
    """The NVIDIA kernel module's version, as the driver reports it (read by the parent: no torch, no NVML)."""
    try:
        text = Path("/proc/driver/nvidia/version").read_text()
    except OSError:
        return None
    found = re.search(r"Kernel Module.*?\s(\d+\.\d+(?:\.\d+)?)\s", text)
    return found.group(1) if found else None


class ResultStore:
    """A JSONL file of records, one per graded sample: {"key", "id", "set", "name", "sample", "problem",
    "solution", "slot", "graded_at", "settings", "overrides", "card", "driver", "torch", "grader_version",
    "verdict"}. `overrides`: the Hydra overrides of the sweep point that wrote it (None outside a sweep)."""

    def __init__(self, path: Path, overrides: list[str] | None = None):
        self.path = Path(path)
        self.overrides = overrides

    def records(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a line torn by a kill mid-write
                if isinstance(record, dict) and "key" in record and "verdict" in record:
                    yield record

    def recorded(self) -> dict[str, dict[str, Any]]:
        """key -> its record: what a resumed batch skips."""
        return {record["key"]: record for record in self.records()}

    def append(self, sample: Sample, key: str, verdict: Verdict, config: GradeConfig,
               slot: str | None = None) -> dict[str, Any]:
        """Write the record of `sample`, graded under `config`; `slot`: the CUDA_VISIBLE_DEVICES value it was
        graded under (None: inherited). Returns the record."""
        record = {"key": key, "id": sample.id, "set": sample.set, "name": sample.name, "sample": sample.sample,
                  "problem": str(sample.problem), "solution": str(sample.solution), "slot": slot,
                  "graded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "settings": settings_of(config), "overrides": self.overrides, **environment(verdict),
                  "grader_version": verdict.grader_version, "verdict": verdict.to_dict()}
        line = (json.dumps(record, default=str) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size and not _ends_with_newline(self.path):
                os.write(fd, b"\n")  # close a torn line so this record stands on its own
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return record


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"
