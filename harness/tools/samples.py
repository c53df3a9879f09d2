"""Which samples a batch grades: solution files paired with their problems, from the forms people keep them in.

Three forms, mixed freely in one call:

- solution files, folders of them and glob patterns: `solutions/<set>/<name>.py` pairs with
  `problems/<set>/<name>.py`, or with `<problems>/<set>/<name>.py` where a problems folder is named;
- KernelBench run folders: `level_<L>_problem_<N>_sample_<S>_kernel.py` pairs with `<problems>/level<L>/<N>_*.py`,
  the problems folder being KernelBench's own `KernelBench/` (the one holding level1/, level2/, ...); the sample
  is recorded as `level<L>/<problem's name>#<S>`;
- manifests (`*.jsonl`, `*.csv`): one (problem, solution, sample) per line or row, paths relative to the manifest.

Whatever cannot be paired is BadInput before anything is graded: a grade of a solution with no problem would
record the user's mistake as the solution's failure. Two different files that would be recorded under one id are
refused too, so samples of one problem never overwrite each other.
"""
from __future__ import annotations

import csv
import glob
import json
import re
from pathlib import Path
from typing import Any, Iterator

from ..common.errors import BadInput
from ..parent.files import pair_problem
from .results import Sample

KERNELBENCH_FILE = re.compile(r"level_(\d+)_problem_(\d+)_sample_(\d+)_kernel\.py")
MANIFEST_SUFFIXES = (".jsonl", ".csv")
_MANIFEST_FORM = ('each entry names "problem" and "solution" (paths relative to the manifest) and optionally '
                  '"sample", the id that keeps samples of one problem apart')


def find_samples(paths: list[str], problems: Path | None = None) -> list[Sample]:
    """Every sample named by `paths` (files, folders, glob patterns, manifests), paired with its problem; sorted by
    set, problem and sample, numbers in numeric order. `problems`: the folder holding the problem sets."""
    if problems is not None and not Path(problems).is_dir():
        raise BadInput(f"problems folder {problems} does not exist: name the folder that holds the problem sets "
                       "(problems/, or KernelBench's KernelBench/ with level1/, level2/, ...)")
    finder = _Finder(Path(problems) if problems is not None else None)
    found: dict[str, Sample] = {}
    for path in _expand(paths):
        for sample in finder.samples_at(path):
            earlier = found.setdefault(sample.id, sample)
            if _where(earlier) != _where(sample):
                raise BadInput(f"{earlier.solution} and {sample.solution} would both be recorded as {sample.id}: "
                               "grade them in separate calls, or list them in a manifest with a sample id each")
    if not found:
        raise BadInput(f"no solution files (*.py) in {', '.join(paths)}")
    return sorted(found.values(), key=lambda s: natural_order(s.id))


def _where(sample: Sample) -> tuple[Path, Path]:
    return sample.solution.resolve(), sample.problem.resolve()


def natural_order(text: str) -> tuple:
    """"level1/9_x" before "level1/10_y": digit runs compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text))


def is_pattern(text: str) -> bool:
    """A glob pattern, as the shell would have expanded it had it not been quoted."""
    return any(char in text for char in "*?[")


def _expand(paths: list[str]) -> Iterator[Path]:
    """Each path as given, or the files a glob pattern matches (quoted, so the shell left it alone)."""
    for text in paths:
        path = Path(text)
        if path.exists():
            yield path
        elif is_pattern(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise BadInput(f"{text} matches no file")
            yield from map(Path, matches)
        else:
            raise BadInput(f"{text} does not exist")


class _Finder:
    def __init__(self, problems: Path | None):
        self.problems = problems
        self.numbered: dict[Path, dict[int, list[Path]]] = {}  # a KernelBench level folder: number -> files

    def samples_at(self, path: Path) -> Iterator[Sample]:
        if path.is_dir():
            files = sorted(f for f in path.rglob("*.py")
                           if not any(part.startswith(("_", ".")) for part in f.relative_to(path).parts))
            if not files:
                raise BadInput(f"{path} holds no solution files (*.py)")
            yield from map(self.sample_of, files)
        elif path.suffix in MANIFEST_SUFFIXES:
            yield from _manifest(path)
        elif path.suffix == ".py":
            yield self.sample_of(path)
        else:
            raise BadInput(f"{path} is neither a solution file (.py) nor a manifest ({', '.join(MANIFEST_SUFFIXES)})")

    def sample_of(self, solution: Path) -> Sample:
        run_file = KERNELBENCH_FILE.fullmatch(solution.name)
        if run_file:
            return self.kernelbench_sample(solution, *run_file.groups())
        if self.problems is None:
            problem = pair_problem(solution)
        else:
            problem = self.problems / solution.parent.name / solution.name
            if not problem.is_file():
                raise BadInput(f"no problem file {problem} pairs with {solution}: the problems folder holds "
                               "<set>/<name>.py for each solutions' <set>/<name>.py")
        return Sample(set=solution.parent.name, name=solution.stem, sample="", solution=solution, problem=problem)

    def kernelbench_sample(self, solution: Path, level: str, number: str, sample: str) -> Sample:
        if self.problems is None:
            raise BadInput(f"{solution} is a KernelBench run file: name the problems with --problems DIR, "
                           "KernelBench's KernelBench/ folder (the one holding level1/, level2/, ...)")
        folder = self.problems / f"level{int(level)}"
        if not folder.is_dir():
            raise BadInput(f"{solution} is a level {int(level)} sample, and {self.problems} has no level{int(level)}/: "
                           "--problems names the folder that holds level1/, level2/, ... (KernelBench's KernelBench/)")
        candidates = self.level(folder).get(int(number), [])
        if len(candidates) != 1:
            found = "none" if not candidates else ", ".join(p.name for p in candidates)
            raise BadInput(f"{solution}: problem {int(number)} of level {int(level)} must be one file "
                           f"{folder}/{int(number)}_*.py; found {found}")
        problem = candidates[0]
        return Sample(set=folder.name, name=problem.stem, sample=sample, solution=solution, problem=problem)

    def level(self, folder: Path) -> dict[int, list[Path]]:
        """A level folder's problem files by their leading number ("19_ReLU.py" is 19), read once per call."""
        if folder not in self.numbered:
            files: dict[int, list[Path]] = {}
            for problem in sorted(folder.glob("*.py")):
                number = re.match(r"(\d+)_", problem.name)
                if number:
                    files.setdefault(int(number.group(1)), []).append(problem)
            self.numbered[folder] = files
        return self.numbered[folder]


def _manifest(path: Path) -> Iterator[Sample]:
    """The samples a manifest lists, each checked; a line it cannot read names its number and the form."""
    for line, entry in _entries(path):
        where = f"{path}:{line}"
        if not isinstance(entry, dict):
            raise BadInput(f"{where}: not an object; {_MANIFEST_FORM}")
        missing = [key for key in ("problem", "solution") if not entry.get(key)]
        if missing:
            raise BadInput(f"{where}: no {' or '.join(missing)}; {_MANIFEST_FORM}")
        problem, solution = (_beside(path, entry[key], key, where) for key in ("problem", "solution"))
        sample = entry.get("sample")
        yield Sample(set=problem.parent.name, name=problem.stem, sample="" if sample is None else str(sample),
                     solution=solution, problem=problem)


def _entries(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read manifest {path}: {exc}") from None
    if path.suffix == ".csv":
        rows = csv.DictReader(text.splitlines())
        if not {"problem", "solution"} <= set(rows.fieldnames or ()):
            raise BadInput(f"{path}: the header must name the columns problem, solution and optionally sample, "
                           f"not {', '.join(rows.fieldnames or ['nothing'])}")
        for row in rows:
            yield rows.line_num, row
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except ValueError as exc:
                raise BadInput(f"{path}:{number}: not JSON ({exc}); {_MANIFEST_FORM}") from None


def _beside(manifest: Path, value: Any, key: str, where: str) -> Path:
    """A path from the manifest, relative to its folder; the file must exist."""
    if not isinstance(value, str):
        raise BadInput(f"{where}: {key} must be a path, not {value!r}")
    path = manifest.parent / value
    if not path.is_file():
        raise BadInput(f"{where}: {key} file {path} does not exist (paths are relative to the manifest's folder)")
    return path
