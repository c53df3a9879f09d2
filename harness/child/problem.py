"""Loading problem and solution files, and resizing a problem: only in child processes.

A problem file is a KernelBench problem exactly as KernelBench writes it: `Model`, `get_inputs()`,
`get_init_inputs()`, sizes as module-level constants. It may define `SMALL_SIZES`, values for those
constants that make a small valid instance (used on the CPU, by `kb lint`, and for the
generalization trial).
"""
from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

from ..common.errors import BadInput

SMALL_SIZES = "SMALL_SIZES"


def load_module(path: Path, name: str) -> types.ModuleType:
    """Import a file under a private module name: problem and solution never share a namespace."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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
    instance with odd sizes.
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


def load_sized(path: Path, sizes: str, on_cpu: bool) -> tuple[types.ModuleType, str]:
    """The problem at `sizes` ("auto": small on the CPU where it has them), and which: "full" or "small {...}"."""
    problem = load_problem(path)
    if sizes == "auto":
        sizes = "small" if on_cpu and has_small_sizes(problem) else "full"
    if sizes == "small":
        return problem, f"small {resize(problem, 'small', path)}"
    return problem, "full"
