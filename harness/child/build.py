"""The build process: imports the solution with torch's JIT loaders swapped for the content-addressed cache
(harness.child.buildcache), so its extensions are compiled (or found) there, answers, and is killed. The
solution process imports the solution again later and finds every build in the cache.

Triton compiles a kernel when it is first launched, for the argument types of that launch: on a GPU the build
process runs one forward of ModelNew on the problem's inputs, which compiles every Triton kernel, and every config
of an autotuned one, into the solution's own Triton cache (harness.child.tritonjit).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from ..common.verdict import Status
from ..wire.channel import Link
from ..wire.messages import Built, ChildSettings
from .buildcache import CompileError, ExtensionCache, NeedsCuda
from .device import resolve_device
from .failure import classify
from .inputs import init_inputs, make_inputs
from .problem import load_module, load_sized
from . import tritonjit


@dataclass
class Imported:
    """The solution module, the extension cache it built through, and its Triton kernels' watch (None: no Triton)."""

    module: Any
    cache: ExtensionCache
    triton: tritonjit.TritonWatch | None


def import_solution(settings: ChildSettings, device: torch.device, wrap: Callable[[Any], Any] = lambda module: module,
                    counting: Callable[[Callable], Callable] | None = None) -> Imported:
    """The solution module, imported with the cache installed (`wrap` applied to every extension it loads) and, where
    Triton is installed, Triton pointed at the solution's own cache and, where the solution uses it, watched
    (`counting` applied to every kernel launch). Without `counting` this is the build process: autotuned kernels
    compile every config and benchmark none."""
    solution_path = Path(settings.solution)
    triton = None
    if tritonjit.installed():  # the solution's own Triton cache (the interpreter without CUDA), used or not
        triton = tritonjit.TritonWatch(Path(settings.cache_dir), solution_path, device, counting)
        if tritonjit.names_triton(solution_path):
            triton.install()
    cache = ExtensionCache(Path(settings.cache_dir), solution_path, cuda_available=device.type == "cuda", wrap=wrap)
    cache.install()
    try:
        module = load_module(solution_path, "kb_solution")
    except BaseException as exc:  # SystemExit from the solution's top level too
        raise classify(exc, Status.LOAD_ERROR, solution_path) from None
    no_caught_build_failure(cache)
    if triton is not None and not triton.installed and "triton" in sys.modules:
        triton.install()  # imported under a name the source does not show: watched from here on
    return Imported(module, cache, triton if triton is not None and triton.installed else None)


def no_caught_build_failure(cache: ExtensionCache) -> None:
    """A build that failed is a compile_error even if the solution caught it and carried on."""
    if cache.failures:
        raise classify(cache.failures[0], Status.COMPILE_ERROR, None)


def run(link: Link, settings: ChildSettings) -> None:
    device = resolve_device(settings.device)
    imported = import_solution(settings, device)
    if settings.problem and hasattr(imported.module, "ModelNew"):
        _construct_for_builds(imported, settings, device)
    link.send(Built(extensions=imported.cache.extensions, triton=imported.triton.report if imported.triton else None))


def _construct_for_builds(imported: Imported, settings: ChildSettings, device: torch.device) -> None:
    """Construct ModelNew once, for solutions that call load_inline in __init__, and where it has Triton kernels to
    compile, run one forward; other failures wait for the solution process, which reports them with their proper
    status."""
    triton = imported.triton
    try:
        problem, _ = load_sized(Path(settings.problem), settings.sizes, on_cpu=device.type == "cpu")
        model = imported.module.ModelNew(*init_inputs(problem, settings.weight_seed))
        if triton is not None and triton.compile_only:
            with torch.no_grad():
                model.to(device)(*make_inputs(problem, settings.weight_seed, device))
            torch.cuda.synchronize(device)
    except (CompileError, NeedsCuda) as exc:
        raise classify(exc, Status.LOAD_ERROR, None) from None
    except BaseException:
        pass
    no_caught_build_failure(imported.cache)
    if triton is not None:
        triton.raise_failure()
