"""The solution's Triton kernels, in the build and solution processes.

Triton compiles a kernel the first time it is launched with new argument types, into a cache that every process of
the user shares (~/.triton/cache), and an autotuned kernel benchmarks its configs on its first call. Here, wherever
Triton is installed:

- its cache is its own: TRITON_CACHE_DIR points into the grader's cache, under a key of the solution file's
  content and Triton's version (`cache_dir`), so two solutions whose kernels share a name never share a binary and
  a re-grade compiles nothing; Triton writes each file aside and renames it into place, so a killed compile leaves
  nothing that blocks or misleads the next;
- without CUDA its kernels run in Triton's interpreter (TRITON_INTERPRET=1), on CPU tensors: slow Python, which
  grades correctness and every rule but times nothing worth a speedup (the verdict says so);

and once Triton is watched (`install`: before the solution's import where its source names Triton, else after it
where the import brought Triton in anyway):

- every launch that returns counts as the solution's own code (guard.OwnCodeCounter) and names its kernel for the
  profiler (provenance.py); every compile or load from the cache, and every autotune, is recorded with the stage it
  happened in (`stage`), so the verdict says what compiled where, how long it took and which config was chosen;
- the build process compiles every config of an autotuned kernel without benchmarking any (`compile_only`): the
  choice is made in the solution process on its first call, on a device nothing else is using, and never timed;
- a kernel that does not compile (Triton's CompilationError, or an error its body raises in the interpreter, which
  compiles as it runs) is recorded even where the solution catches it: a compile_error with Triton's own message at
  the line of the solution file.

Triton is imported only here, and only for a solution that uses it.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import torch

from ..common.verdict import Status, TritonEvent, TritonReport
from .failure import Failure

INTERPRET = "TRITON_INTERPRET"
_TRUE = ("1", "true", "yes", "on")
_perf_counter = time.perf_counter


def interpreting() -> bool:
    """Does Triton run kernels in its interpreter here (TRITON_INTERPRET, read as Triton reads it)?"""
    return os.environ.get(INTERPRET, "0").strip().lower() in _TRUE


def installed() -> bool:
    return importlib.util.find_spec("triton") is not None


def names_triton(solution: Path) -> bool:
    """The solution's source names Triton: watch it from before the import."""
    try:
        return "triton" in solution.read_text()
    except OSError:
        return False


def cache_dir(root: Path, solution: Path) -> Path:
    """The solution's own Triton cache: a key of its content and Triton's version, under the grader's cache."""
    material = {"solution": hashlib.sha256(solution.read_bytes()).hexdigest(),
                "triton": importlib.metadata.version("triton"), "torch": torch.__version__}
    key = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return Path(root) / "triton" / f"{solution.stem}-{key[:24]}"


class TritonWatch:
    """Triton as the grader runs it for one solution, in one process: its cache and mode from the start (constructed
    before the solution's import), the wrappers once installed."""

    def __init__(self, root: Path, solution: Path, device: torch.device,
                 counting: Callable[[Callable], Callable] | None = None):
        """`counting` counts completed launches as the solution's own code (guard.OwnCodeCounter); without it this
        is the build process, where an autotuned kernel compiles every config and benchmarks none."""
        if device.type != "cuda":
            os.environ[INTERPRET] = "1"  # no other way to run a Triton kernel without CUDA
        self.installed = False
        self.solution = solution
        self.compile_only = counting is None and not interpreting()  # the interpreter has nothing to compile ahead
        self.counting = counting or (lambda function: function)
        self.stage = "build" if counting is None else "load"
        self.report = TritonReport(version=importlib.metadata.version("triton"), interpreted=interpreting(),
                                   cache_dir=str(cache_dir(root, solution)))
        os.environ["TRITON_CACHE_DIR"] = self.report.cache_dir  # Triton makes it when it first writes there
        self.read = 0  # events already handed to the parent (`new_events`)
        self.kernels: set[str] = set()  # names of the kernels launched: the profiler's own kernels
        self.failures: list[Failure] = []  # kernels that did not compile, caught by the solution or not

    def install(self) -> None:
        """Wrap Triton's launch, its autotuner and its compiler's report (imports Triton)."""
        self.installed = True
        from triton.runtime.autotuner import Autotuner
        from triton.runtime.jit import JITFunction

        _wrap(JITFunction, "run", self._launching)
        if self.report.interpreted:
            from triton.runtime.interpreter import InterpretedFunction

            _wrap(InterpretedFunction, "run", self._launching)
        _wrap(Autotuner, "run", self._tuning)
        try:
            from triton import knobs

            knobs.compilation.listener = self._compiled
        except (ImportError, AttributeError):  # a Triton without the listener: compiles go unreported
            pass

    # -- what the parent reads ----------------------------------------------------------------------------

    def new_events(self) -> list[TritonEvent]:
        """The events since the last call."""
        events, self.read = self.report.events[self.read:], len(self.report.events)
        return events

    def raise_failure(self) -> None:
        """A kernel that did not compile ends the grade as compile_error, even where the solution caught it."""
        if self.failures:
            raise self.failures[0]

    # -- the wrappers --------------------------------------------------------------------------------------

    def _launching(self, run: Callable) -> Callable:
        counted = self.counting(run)

        def launch(kernel: Any, *args: Any, **kwargs: Any) -> Any:
            name = _kernel_name(kernel)
            try:
                result = counted(kernel, *args, **kwargs)
            except Exception as exc:
                failure = self._compile_failure(name, exc)
                if failure is not None:
                    self.failures.append(failure)
                raise
            self.kernels.add(name)
            return result

        return launch

    def _tuning(self, run: Callable) -> Callable:
        def tune(tuner: Any, *args: Any, **kwargs: Any) -> Any:
            if self.compile_only or self.report.interpreted:
                tuner.__dict__["do_bench"] = _run_once  # instead of Triton's benchmarker (a cached property)
            if self.compile_only:
                tuner.cache_results = False  # the build's choice is arbitrary: never stored for a later process
            known, failed, started = set(tuner.cache), len(self.failures), _perf_counter()
            result = run(tuner, *args, **kwargs)
            del self.failures[failed:]  # configs that failed while tuning were Triton's to skip, and it did
            if not self.compile_only:
                seconds = round(_perf_counter() - started, 3)
                for key in [k for k in tuner.cache if k not in known]:
                    self.report.events.append(TritonEvent(
                        kernel=_kernel_name(tuner), action="autotuned", seconds=seconds, stage=self.stage,
                        detail=f"{tuner.cache[key]} for key {_key_text(key)}"))
            return result

        return tune

    def _compiled(self, *, src: Any, metadata: dict, times: Any, cache_hit: bool, **_: Any) -> None:
        """Triton's compiler listener: one kernel compiled, or loaded from the solution's cache."""
        name = str(getattr(src, "name", "") or metadata.get("name", "?"))
        total = getattr(times, "total", 0) or 0  # microseconds
        self.report.events.append(TritonEvent(
            kernel=name, action="loaded" if cache_hit else "compiled", seconds=round(total / 1e6, 3),
            stage=self.stage, detail=f"num_warps={metadata.get('num_warps')}, num_stages={metadata.get('num_stages')}"))

    # -- compile errors ------------------------------------------------------------------------------------

    def _compile_failure(self, kernel: str, exc: Exception) -> Failure | None:
        """compile_error for what Triton's front end refuses (CompilationError, and the card's limits in
        OutOfResources and PTXASError); in the interpreter, for an error raised inside the kernel's body, which
        compiled Triton would have refused before running, except a failed device_assert (a runtime error)."""
        from triton.compiler.errors import CompilationError
        from triton.runtime.errors import InterpreterError, OutOfResources, PTXASError

        if isinstance(exc, CompilationError):
            where = self._line_of(_offending_text(exc), kernel)
            message = exc.error_message or str(exc).strip().splitlines()[-1]
            return self._failure(kernel, where, str(message), str(exc))
        if isinstance(exc, (OutOfResources, PTXASError)):
            return self._failure(kernel, self._line_of("", kernel), f"{type(exc).__name__}: {exc}", str(exc))
        if isinstance(exc, InterpreterError):
            cause = _innermost(exc)
            if isinstance(cause, AssertionError) and _raised_in(cause, "create_assert"):
                return None
            where = self._frame_line(cause)
            detail = "".join(traceback.format_exception(cause))[-4000:]
            return self._failure(kernel, where, f"{type(cause).__name__}: {cause}", detail,
                                 " (in Triton's interpreter, which compiles a kernel as it runs it)")
        return None

    def _failure(self, kernel: str, where: str, message: str, detail: str, how: str = "") -> Failure:
        place = f"{where}: " if where else ""
        return Failure(Status.COMPILE_ERROR, f"Triton kernel '{kernel}' does not compile{how}: {place}{message}",
                       detail)

    def _line_of(self, text: str, kernel: str) -> str:
        """'solution.py:12' for the line of the solution file that reads `text`, the kernel's own first; else the
        line of the kernel's `def`."""
        source = self.solution.read_text().splitlines()
        kernel_start = next((n for n, line in enumerate(source, start=1) if line.lstrip().startswith(f"def {kernel}(")),
                            0)
        lines = [n for n, line in enumerate(source, start=1) if text and line.strip() == text]
        chosen = ([n for n in lines if n >= kernel_start] or lines or [kernel_start])[0]
        return f"{self.solution.name}:{chosen}" if chosen else ""

    def _frame_line(self, exc: BaseException) -> str:
        """'solution.py:12', the deepest frame of the solution file in the exception's traceback."""
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(self.solution)]
        return f"{self.solution.name}:{frames[-1].lineno}" if frames else ""


def _wrap(cls: type, name: str, wrapper: Callable[[Callable], Callable]) -> None:
    """Replace cls.name by wrapper(the original), once per process."""
    original = getattr(cls, f"_kb_original_{name}", None) or getattr(cls, name)
    setattr(cls, f"_kb_original_{name}", original)
    setattr(cls, name, wrapper(original))


def _run_once(kernel_call: Callable[[], Any], quantiles: Any = None, **_: Any) -> Any:
    """The autotuner's benchmark where the grader decides nothing by it: each config compiled and run once, its
    host time (the interpreter's choice is then by its own pace, meaningless on a GPU and harmless)."""
    started = _perf_counter()
    kernel_call()
    ms = (_perf_counter() - started) * 1e3
    return [ms] * len(quantiles) if quantiles else ms


def _kernel_name(kernel: Any) -> str:
    """The @triton.jit function's name, through autotuner and heuristics wrappers."""
    fn = getattr(kernel, "fn", None)
    while fn is not None and not hasattr(fn, "__code__"):
        fn = getattr(fn, "fn", None)
    return getattr(fn, "__name__", "") or "?"


def _key_text(key: Any) -> str:
    return repr(key) if len(repr(key)) <= 120 else repr(key)[:117] + "..."


def _offending_text(exc: Any) -> str:
    """The kernel line a CompilationError points at (its node's line in its source), stripped."""
    node, src = getattr(exc, "node", None), getattr(exc, "src", None)
    line = getattr(node, "lineno", None)
    if not src or not line:
        return ""
    lines = str(src).splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _innermost(exc: BaseException) -> BaseException:
    """Past the interpreter's wrappers to the error the kernel's body raised."""
    from triton.runtime.errors import InterpreterError

    while isinstance(exc, InterpreterError) and exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _raised_in(exc: BaseException, function: str) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].name == function
