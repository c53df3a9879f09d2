"""The build process: imports the solution with torch's JIT loaders swapped for the content-addressed cache
(harness.child.buildcache), so its extensions are compiled (or found) there, answers, and is killed. The
solution process imports the solution again later and finds every build in the cache.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch

from ..common.verdict import Status
from ..wire.channel import Link
from ..wire.messages import Built, ChildSettings
from .buildcache import CompileError, ExtensionCache, NeedsCuda
from .device import resolve_device
from .failure import classify
from .inputs import init_inputs
from .problem import load_module, load_sized


def import_solution(settings: ChildSettings, device: torch.device,
                    wrap: Callable[[Any], Any] = lambda module: module) -> tuple[Any, ExtensionCache]:
    """The solution module, imported with the cache installed (`wrap` applied to every extension it loads)."""
    solution_path = Path(settings.solution)
    cache = ExtensionCache(Path(settings.cache_dir), solution_path, cuda_available=device.type == "cuda", wrap=wrap)
    cache.install()
    try:
        module = load_module(solution_path, "kb_solution")
    except BaseException as exc:  # SystemExit from the solution's top level too
        raise classify(exc, Status.LOAD_ERROR, solution_path) from None
    no_caught_build_failure(cache)
    return module, cache


def no_caught_build_failure(cache: ExtensionCache) -> None:
    """A build that failed is a compile_error even if the solution caught it and carried on."""
    if cache.failures:
        raise classify(cache.failures[0], Status.COMPILE_ERROR, None)


def run(link: Link, settings: ChildSettings) -> None:
    device = resolve_device(settings.device)
    module, cache = import_solution(settings, device)
    if settings.problem and hasattr(module, "ModelNew"):
        _construct_for_builds(module, settings, device, cache)
    link.send(Built(extensions=cache.extensions))


def _construct_for_builds(module: Any, settings: ChildSettings, device: torch.device, cache: ExtensionCache) -> None:
    """Construct ModelNew once, for solutions that call load_inline in __init__; other failures wait for
    the solution process, which reports them with their proper status."""
    try:
        problem, _ = load_sized(Path(settings.problem), settings.sizes, on_cpu=device.type == "cpu")
        module.ModelNew(*init_inputs(problem, settings.weight_seed))
    except (CompileError, NeedsCuda) as exc:
        raise classify(exc, Status.LOAD_ERROR, None) from None
    except BaseException:
        pass
    no_caught_build_failure(cache)
