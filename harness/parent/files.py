"""Problem and solution files as the parent sees them: paired and syntax-checked, never run.

`solutions/<set>/<name>.py` pairs with `problems/<set>/<name>.py`. Loading and running them happens
only in child processes (harness.child.problem).
"""
from __future__ import annotations

from pathlib import Path

from ..common.errors import BadInput


def pair_problem(solution: Path, option: str = "--problem PATH") -> Path:
    """problems/<set>/<name>.py for solutions/<set>/<name>.py; `option` names the front end's way to give one."""
    parts = solution.resolve().parts
    if "solutions" in parts:
        i = len(parts) - 1 - parts[::-1].index("solutions")
        candidate = Path(*parts[:i], "problems", *parts[i + 1:])
        if candidate.is_file():
            return candidate
        raise BadInput(f"no problem file {candidate} pairs with {solution}; pass {option}")
    raise BadInput(f"{solution} is not under a solutions/ folder, so its problem cannot be found; "
                   f"pass {option}")


def read_source(path: Path, what: str) -> str:
    """The file's text, or BadInput saying why there is none."""
    if not path.exists():
        raise BadInput(f"{what} file {path} does not exist")
    if not path.is_file():
        raise BadInput(f"{what} path {path} is not a file")
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {what} file {path}: {exc}") from None


def check_syntax(source: str, path: Path) -> None:
    """Compile without running; raises SyntaxError naming the line."""
    compile(source, str(path), "exec")
