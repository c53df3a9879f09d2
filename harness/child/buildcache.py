"""Content-addressed cache for torch JIT extensions (load_inline and load).

torch keys its extension cache on the extension *name*: two solutions that
both call their extension "conv2d" load each other's binary, and a build
killed mid-way leaves a lock file that makes every later build wait forever.
Here the key is a hash of everything that decides the binary (sources, flags,
torch/CUDA/Python versions, target architecture); each build happens in a
private directory that is renamed into place only when complete, under an
flock that the kernel releases if the builder dies.

`ExtensionCache.install()` swaps torch's two loaders for cached ones before a
solution is imported, so solution files need no change.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import sys
import sysconfig
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

from ..common.verdict import Extension

_OK_MARK = "kb-complete.json"
# Arguments that say where or how loudly to build, not what to build.
_NOT_IN_KEY = {"build_directory", "verbose", "keep_intermediates"}
_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".cu", ".h", ".hh", ".hpp", ".cuh", ".inl")


class CompileError(Exception):
    """An extension failed to build; `reason` is the first compiler error, mapped to the solution file."""

    def __init__(self, name: str, reason: str, log: str):
        super().__init__(reason)
        self.name = name
        self.reason = reason
        self.log = log


class NeedsCuda(Exception):
    """A CUDA extension was requested where there is no CUDA device."""


def toolchain_fingerprint(with_cuda: bool) -> dict[str, Any]:
    """What besides the sources decides the binary."""
    import torch

    info: dict[str, Any] = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "abi": sysconfig.get_config_var("SOABI"),
        "machine": platform.machine(),
        "cxx": os.environ.get("CXX", "c++"),
        "cxx_abi": bool(torch._C._GLIBCXX_USE_CXX11_ABI),
    }
    if with_cuda:
        info["cuda"] = torch.version.cuda
        info["cuda_home"] = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_PATH") or "default"
        arch = os.environ.get("TORCH_CUDA_ARCH_LIST")
        if not arch and torch.cuda.is_available():
            arch = ";".join(sorted({"%d.%d" % torch.cuda.get_device_capability(i)
                                    for i in range(torch.cuda.device_count())}))
        info["arch"] = arch
    return info


def _as_list(sources: Any) -> list[str]:
    if sources is None:
        return []
    return [sources] if isinstance(sources, str) else list(sources)


class ExtensionCache:
    """Cached stand-ins for torch.utils.cpp_extension.load_inline / load."""

    def __init__(self, root: Path, solution_path: Path | None, cuda_available: bool,
                 wrap: Callable[[Any], Any] = lambda module: module):
        self.root = Path(root)
        self.wrap = wrap  # applied to every module handed to the solution (see harness.child.guard.OwnCodeCounter)
        self.solution_path = solution_path
        self.cuda_available = cuda_available
        self.extensions: list[Extension] = []
        self.failures: list[CompileError] = []
        self.cuda_sources: list[str] = []  # every CUDA source text loaded: its kernels are the solution's own
        self.root.mkdir(parents=True, exist_ok=True)

    def install(self) -> None:
        import torch.utils.cpp_extension as cpp

        self._torch_load_inline = cpp.load_inline
        self._torch_load = cpp.load
        cpp.load_inline = self.load_inline
        cpp.load = self.load
        # Anything torch builds by name outside these two lands in the cache too, never in ~/.cache/torch_extensions.
        os.environ["TORCH_EXTENSIONS_DIR"] = str(self.root / "torch-default")

    def load_inline(self, name: str, cpp_sources: Any, cuda_sources: Any = None, **kwargs: Any) -> Any:
        cpp_list, cuda_list = _as_list(cpp_sources), _as_list(cuda_sources)
        content = {"cpp": cpp_list, "cuda": cuda_list}
        self.cuda_sources.extend(cuda_list)

        def build(directory: str) -> Any:
            return self._torch_load_inline(name, list(cpp_list), list(cuda_list) or None,
                                           build_directory=directory, **kwargs)

        return self._cached(name, "inline", content, kwargs, bool(cuda_list), build)

    def load(self, name: str, sources: Any, **kwargs: Any) -> Any:
        paths = [os.path.abspath(p) for p in _as_list(sources)]
        # The sources and every header-or-source file beside them: an edited header must rebuild.
        beside = {os.path.join(d, f) for d in {os.path.dirname(p) for p in paths} for f in os.listdir(d)
                  if f.endswith(_SOURCE_SUFFIXES)}
        content = {}
        for p in sorted(set(paths) | beside):
            with open(p, "rb") as f:
                data = f.read()
            content[p] = hashlib.sha256(data).hexdigest()
            if p.endswith((".cu", ".cuh")):
                self.cuda_sources.append(data.decode(errors="replace"))
        with_cuda = any(p.endswith((".cu", ".cuh")) for p in paths) or bool(kwargs.get("with_cuda"))

        def build(directory: str) -> Any:
            return self._torch_load(name, paths, build_directory=directory, **kwargs)

        return self._cached(name, "files", content, kwargs, with_cuda, build)

    def _cached(self, name: str, kind: str, content: Any, kwargs: dict[str, Any],
                with_cuda: bool, build: Callable[[str], Any]) -> Any:
        if with_cuda and not self.cuda_available:
            raise NeedsCuda(f"extension '{name}' has CUDA sources and this machine has no CUDA device")
        started = time.perf_counter()
        key_material = {
            "name": name, "kind": kind, "content": content,
            "options": {k: repr(v) for k, v in sorted(kwargs.items()) if k not in _NOT_IN_KEY},
            "toolchain": toolchain_fingerprint(with_cuda),
        }
        key = hashlib.sha256(json.dumps(key_material, sort_keys=True).encode()).hexdigest()
        final = self.root / f"{name}-{key[:24]}"
        is_python_module = kwargs.get("is_python_module", True)

        if not (final / _OK_MARK).exists():
            with _exclusive(self.root / "locks" / f"{key[:24]}.lock"):
                if not (final / _OK_MARK).exists():
                    module = self._build_into(final, key, name, build)
                    self._record(name, key, cached=False, started=started)
                    return self.wrap(module)
        module = _import_built(name, final, is_python_module)
        self._record(name, key, cached=True, started=started)
        return self.wrap(module)

    def _build_into(self, final: Path, key: str, name: str, build: Callable[[str], Any]) -> Any:
        """Build in a private directory, then rename it into place: readers never see half a build."""
        for stale in self.root.glob(f"tmp-{key[:24]}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed builder; we hold the lock
        scratch = self.root / f"tmp-{key[:24]}-{os.getpid()}"
        scratch.mkdir(parents=True)
        try:
            module = build(str(scratch))
        except Exception as exc:
            error = compile_error(name, str(exc), scratch, self.solution_path)
            self.failures.append(error)
            shutil.rmtree(scratch, ignore_errors=True)
            raise error from None
        (scratch / _OK_MARK).write_text(json.dumps({"name": name, "key": key}))
        if final.exists():
            shutil.rmtree(final)  # an incomplete leftover (no mark), never a finished build
        os.rename(scratch, final)
        return module

    def _record(self, name: str, key: str, cached: bool, started: float) -> None:
        self.extensions.append(Extension(name=name, key=key[:24], cached=cached,
                                         seconds=round(time.perf_counter() - started, 3)))


@contextmanager
def _exclusive(lock_path: Path):
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released by the kernel if this process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _import_built(name: str, directory: Path, is_python_module: bool) -> Any:
    library = directory / f"{name}.so"  # torch names JIT extensions <name>.so on Linux
    if not is_python_module:
        import torch

        torch.ops.load_library(str(library))
        return str(library)
    spec = importlib.util.spec_from_file_location(name, library)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load extension {library}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# file:line:col: error: ...   (gcc/clang)      file(line): error: ...   (nvcc)
_GCC_ERROR = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?:\d+:)? (?:fatal )?error: (?P<msg>.*)$")
_NVCC_ERROR = re.compile(r"^(?P<file>\S+)\((?P<line>\d+)\): (?:catastrophic )?error: (?P<msg>.*)$")
_LINK_ERROR = re.compile(r"(undefined reference to .*|undefined symbol: .*|ld returned .*)$")


def compile_error(name: str, message: str, build_dir: Path, solution_path: Path | None) -> CompileError:
    """Turn torch's 'Error building extension' text into the first error, at its line in the solution file."""
    lines = message.splitlines()
    first_line = ""
    errors: list[str] = []
    for text in lines:
        match = _GCC_ERROR.match(text.strip()) or _NVCC_ERROR.match(text.strip())
        if match:
            where = _locate(Path(match["file"]), int(match["line"]), build_dir, solution_path)
            errors.append(f"{where}: error: {match['msg'].strip()}")
            if not first_line:
                first_line = errors[-1]
    if not first_line:
        link = next((m.group(1) for t in lines if (m := _LINK_ERROR.search(t))), "")
        first_line = link or (lines[-1].strip() if lines else "unknown build failure")
    reason = f"extension '{name}' failed to build: {first_line}"
    detail = "\n".join(errors[:5]) if errors else "\n".join(lines[-30:])
    return CompileError(name, reason, detail)


def _locate(source: Path, line: int, build_dir: Path, solution_path: Path | None) -> str:
    """'solution.py:42 (cuda.cu:45)' when the offending line can be found in the solution file."""
    generated = f"{source.name}:{line}"
    candidate = source if source.is_absolute() else build_dir / source
    try:
        text = candidate.read_text().splitlines()[line - 1].strip()
    except (OSError, IndexError):
        return generated
    if solution_path is None or len(text) < 4:
        return generated
    for number, solution_line in enumerate(solution_path.read_text().splitlines(), start=1):
        if solution_line.strip() == text:
            return f"{solution_path.name}:{number} ({generated})"
    for number, solution_line in enumerate(solution_path.read_text().splitlines(), start=1):
        if text in solution_line:
            return f"{solution_path.name}:{number} ({generated})"
    return generated
