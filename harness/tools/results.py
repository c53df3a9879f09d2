"""Append-only results: one JSON line per graded pair, keyed by what decides the grade.

A record's key hashes the problem file, the solution file (and the files beside it that
it may read) and the grading settings that change a verdict, so re-running a sweep skips
exactly the pairs whose grade would not change. Lines are appended with O_APPEND and
fsync'd one at a time; a sweep killed mid-write leaves at most one torn last line, which
readers skip and the next run grades again.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..common.settings import GradeConfig
from ..common.verdict import Verdict


@dataclass(frozen=True)
class Pair:
    """One solution file and its problem, named `<set>/<name>` as the pytest gate and reports name it."""

    set: str
    name: str
    solution: Path
    problem: Path

    @property
    def id(self) -> str:
        return f"{self.set}/{self.name}"


def find_pairs(solutions: Path, problems: Path, sets: list[str] | None = None,
               names: list[str] | None = None) -> list[Pair]:
    """solutions/<set>/<name>.py with problems/<set>/<name>.py, sorted; pairs without a problem are kept
    (their grade says so)."""
    pairs = []
    for solution in sorted(solutions.glob("*/*.py")):
        set_name, name = solution.parent.name, solution.stem
        if name.startswith("_") or (sets and set_name not in sets) or (names and name not in names):
            continue
        pairs.append(Pair(set_name, name, solution, problems / set_name / solution.name))
    return pairs


def _settings(config: GradeConfig) -> dict[str, Any]:
    """The settings that can change a verdict (not where caches or logs go, or how processes start)."""
    settings = dataclasses.asdict(config)
    for irrelevant in ("cache_dir", "log_dir", "timeouts", "visible_devices", "server"):
        settings.pop(irrelevant)
    return settings


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def pair_key(pair: Pair, config: GradeConfig) -> str:
    """Content hash of the problem, the solution's folder of sources, and the settings."""
    sources = sorted(p for p in pair.solution.parent.iterdir() if p.suffix in (".cpp", ".cu", ".cuh", ".h"))
    material = {
        "problem": _digest(pair.problem),
        "solution": _digest(pair.solution),
        "beside": {p.name: _digest(p) for p in sources},
        "settings": _settings(config),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:32]


class ResultStore:
    """A JSONL file of records: {"key", "id", "set", "name", "slot", "graded_at", "grader_version", "verdict"}."""

    def __init__(self, path: Path):
        self.path = Path(path)

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

    def done(self) -> set[str]:
        return {r["key"] for r in self.records()}

    def append(self, pair: Pair, key: str, verdict: Verdict, slot: str | None = None) -> None:
        """`slot`: the CUDA_VISIBLE_DEVICES value the pair was graded under (None: inherited)."""
        record = {"key": key, "id": pair.id, "set": pair.set, "name": pair.name, "slot": slot,
                  "graded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
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


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"
