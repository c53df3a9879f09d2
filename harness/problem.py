"""Problem and solution files: pairing them, checking them, loading them.

A problem file is a KernelBench problem exactly as KernelBench writes it:
`Model`, `get_inputs()`, `get_init_inputs()`, sizes as module-level
constants. A solution file defines `ModelNew` with Model's constructor and
forward signature. `solutions/<set>/<name>.py` pairs with
`problems/<set>/<name>.py`.

Locating and syntax checks run in the parent (they never execute the file);
loading runs only in child processes.
"""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path


class BadInput(Exception):
    """The grader cannot grade: a file is missing, unreadable or not Python."""


def pair_problem(solution: Path) -> Path:
    """problems/<set>/<name>.py for solutions/<set>/<name>.py."""
    parts = solution.resolve().parts
    if "solutions" in parts:
        i = len(parts) - 1 - parts[::-1].index("solutions")
        candidate = Path(*parts[:i], "problems", *parts[i + 1:])
        if candidate.is_file():
            return candidate
        raise BadInput(f"no problem file {candidate} pairs with {solution}; pass --problem PATH")
    raise BadInput(f"{solution} is not under a solutions/ folder, so its problem cannot be found; "
                   f"pass --problem PATH")


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


def load_module(path: Path, name: str) -> types.ModuleType:
    """Import a file under a private module name: problem and solution never share a namespace."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


SMALL_SIZES = "SMALL_SIZES"


def load_problem(path: Path, sizes: str | dict[str, int] | None = None) -> types.ModuleType:
    """Import a problem; `sizes` resizes it (see `resize`)."""
    module = load_module(path, "kb_problem")
    missing = [n for n in ("Model", "get_inputs", "get_init_inputs") if not hasattr(module, n)]
    if missing:
        raise BadInput(f"problem file {path} does not define {', '.join(missing)}")
    if sizes:
        resize(module, sizes, path)
    return module


def has_small_sizes(module: types.ModuleType) -> bool:
    return isinstance(getattr(module, SMALL_SIZES, None), dict) and bool(getattr(module, SMALL_SIZES))


def resize(module: types.ModuleType, sizes: str | dict[str, int], path: Path) -> dict[str, int]:
    """Set the problem's module-level size constants, which get_inputs/get_init_inputs read at call time.

    `sizes` is a dict of constants, or "small": the problem's own `SMALL_SIZES` dict, a small valid
    instance with odd sizes (used on CPU, by `kb lint`, and for the shape-generalization trial).
    """
    if sizes == "small":
        if not has_small_sizes(module):
            raise BadInput(f"problem file {path} defines no {SMALL_SIZES} dict, so it has no small size; "
                           f"add e.g. {SMALL_SIZES} = {{'batch_size': 3}} or grade it at full size")
        sizes = getattr(module, SMALL_SIZES)
    if not isinstance(sizes, dict):
        raise BadInput(f"sizes must be 'small' or a dict of constants, not {sizes!r}")
    unknown = [name for name in sizes if not hasattr(module, name)]
    if unknown:
        raise BadInput(f"problem file {path} has no module-level constant {', '.join(unknown)} to resize")
    for name, value in sizes.items():
        setattr(module, name, value)
    return dict(sizes)
