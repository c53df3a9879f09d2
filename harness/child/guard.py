"""Rules a solution must keep while it runs, checked inside the solution's process.

These are tripwires, not walls: code in the same process could in principle undo them
before a check. What no solution code can reach lives elsewhere: the oracle and the
reference timing in the reference process, the verdict in the parent. Every rule here
is cheap, catches a documented cheat family (docs/threat-model.md), and never fires
on an honest solution.

Imported by the solution process before any solution code, so the functions it uses are
bound before they could be rebound.
"""
from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
import types
from typing import Any, Callable

import torch

from . import timing
from .tensors import listed, tensor_bytes, tensors

_equal = torch.equal
_perf_counter = time.perf_counter
_current_threads = threading.enumerate


class Violation(Exception):
    """A broken rule: the grade is `rejected` with this reason."""


# --- global state ---------------------------------------------------------------------------------

def _numeric_switches() -> dict[str, Any]:
    """Process-wide settings that change numerics or speed."""
    cuda_matmul = torch.backends.cuda.matmul
    return {
        "torch.backends.cuda.matmul.allow_tf32": cuda_matmul.allow_tf32,
        "torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction":
            cuda_matmul.allow_fp16_reduced_precision_reduction,
        "torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction":
            cuda_matmul.allow_bf16_reduced_precision_reduction,
        "torch.backends.cudnn.allow_tf32": torch.backends.cudnn.allow_tf32,
        "torch.backends.cudnn.benchmark": torch.backends.cudnn.benchmark,
        "torch.backends.cudnn.deterministic": torch.backends.cudnn.deterministic,
        "torch.backends.cudnn.enabled": torch.backends.cudnn.enabled,
        "torch.get_float32_matmul_precision()": torch.get_float32_matmul_precision(),
        "torch.get_default_dtype()": torch.get_default_dtype(),
        "torch.get_num_threads()": torch.get_num_threads(),
        "torch.are_deterministic_algorithms_enabled()": torch.are_deterministic_algorithms_enabled(),
        "torch.is_autocast_enabled()": torch.is_autocast_enabled(),
        # L2 set aside for persisting accesses: lets data survive the timer's cache flush
        "the persisting-L2 limit (cudaLimitPersistingL2CacheSize)": timing.persisting_l2_limit(),
    }


# Namespaces whose callables a solution has no business rebinding: the ops the reference and the
# grader use, the clocks, the comparisons, the RNG.
_WATCHED: dict[str, Any] = {
    "torch": torch, "torch.nn.functional": torch.nn.functional, "torch.Tensor": torch.Tensor,
    "torch.cuda": torch.cuda, "torch.cuda.Event": torch.cuda.Event, "torch.testing": torch.testing,
    "torch.random": torch.random, "time": time, "threading": threading,
}


def _watch_harness() -> None:
    """The grader's own code in this process, every module of it loaded so far: the rules, the timer, the roles,
    the answer pipe, and the classes they define."""
    package = __name__.split(".")[0]
    for module_name, module in list(sys.modules.items()):
        if module is None or not (module_name == package or module_name.startswith(package + ".")):
            continue
        _WATCHED[module_name] = module
        for name, value in vars(module).items():
            if isinstance(value, type) and value.__module__ == module_name:
                _WATCHED[f"{module_name}.{name}"] = value


def _bindings() -> dict[str, Any]:
    """Every callable defined directly in the watched namespaces (no lazy imports triggered)."""
    found = {}
    for prefix, namespace in _WATCHED.items():
        for name, value in list(vars(namespace).items()):
            if callable(value) and not isinstance(value, types.ModuleType):
                found[f"{prefix}.{name}"] = value
    return found


_TORCH_DIR = os.path.dirname(torch.__file__) + os.sep


def _torch_wraps(new: Any, old: Any) -> bool:
    """A wrapper torch itself put around `old`: torch._dynamo, imported lazily (by torch.compile or the
    profiler), rebinds torch.manual_seed to a wrapper defined in torch's own files."""
    code = getattr(new, "__code__", None)
    if code is None or not code.co_filename.startswith(_TORCH_DIR):
        return False
    inner = getattr(new, "__wrapped__", None)
    while inner is not None and inner is not old:
        inner = getattr(inner, "__wrapped__", None)
    return inner is old


class StateSnapshot:
    """Numeric switches and function bindings, taken before the solution is imported."""

    def __init__(self) -> None:
        _watch_harness()
        self.switches = _numeric_switches()
        self.bindings = _bindings()

    def check(self, when: str) -> None:
        switches = _numeric_switches()
        for name, before in self.switches.items():
            if switches[name] != before:
                raise Violation(f"the solution changed {name} from {before!r} to {switches[name]!r} {when}; "
                                "process-wide switches change numerics or speed for everything, the "
                                "reference included")
        bindings = _bindings()
        added_to_classes = [n for n in bindings if n not in self.bindings and isinstance(
            _WATCHED[n.rsplit(".", 1)[0]], type)]
        changed = [n for n, before in self.bindings.items()
                   if bindings.get(n) is not before and not _torch_wraps(bindings.get(n), before)]
        for name in changed + added_to_classes:
            raise Violation(f"the solution rebound {name} {when}; the grader's and PyTorch's functions "
                            "must stay as they are")


# --- provenance -----------------------------------------------------------------------------------

class OwnCodeCounter:
    """Counts completed calls into the solution's own compiled code: its extensions' functions and,
    where the solution uses Triton, its Triton kernel launches (harness.child.tritonjit applies `counting`)."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0     # host time inside counted calls (the CPU share of own work)
        self.countable = True  # False once code arrives that cannot be counted: then nothing is required

    def wrap(self, module: Any) -> Any:
        """A stand-in for an extension module whose functions count their completed calls."""
        if not isinstance(module, types.ModuleType):
            self.countable = False  # load_library-style extensions: their torch.ops are not counted
            return module
        return _CountedModule(module, self)

    def counting(self, function: Callable) -> Callable:
        def counted(*args: Any, **kwargs: Any) -> Any:
            started = _perf_counter()
            result = function(*args, **kwargs)
            self.seconds += _perf_counter() - started
            self.calls += 1  # only calls that returned: a raising kernel with a fallback does not count
            return result

        counted.__name__ = getattr(function, "__name__", "function")
        counted.__doc__ = getattr(function, "__doc__", None)
        return counted


class _CountedModule(types.ModuleType):
    def __init__(self, module: types.ModuleType, counter: OwnCodeCounter):
        super().__init__(module.__name__, module.__doc__)
        self.__dict__["_module"] = module
        self.__dict__["_counter"] = counter

    def __getattr__(self, name: str) -> Any:
        """Only the first lookup of a name lands here: the counted function is kept, so a call in a timed
        loop pays for counting (well under a microsecond), not for building a wrapper."""
        value = getattr(self.__dict__["_module"], name)
        if callable(value) and not isinstance(value, type):
            value = self.__dict__["_counter"].counting(value)
        self.__dict__[name] = value
        return value


# --- memory a call finds --------------------------------------------------------------------------

_M_MMAP_THRESHOLD, _M_PERTURB = -3, -6  # glibc mallopt parameters
_FRESH_BYTE = 0x80  # glibc fills each new allocation with this ^ 0xFF: 0x7F7F7F7F is 3.4e38 as a float


def _load_mallopt() -> Callable[[int, int], int] | None:
    """glibc's mallopt, where the C library has it."""
    try:
        return ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None


_MALLOPT = _load_mallopt()


class PoisonedMemory:
    """While a checked call runs, memory it did not write is never zeros ("lucky undefined behaviour"):
    on CPU glibc fills every new allocation with 0x7F bytes (and serves them from the heap, not from
    fresh zero pages); on GPU the allocator's cache holds a block of NaN bytes, which the call's first
    allocations reuse. Timed calls run without it, so both models are timed as they are."""

    def __init__(self, device: torch.device, nbytes: int):
        self.device, self.nbytes = device, nbytes

    @classmethod
    def around(cls, inputs: list[Any], device: torch.device) -> "PoisonedMemory":
        """Poisoned room for a call on `inputs`: twice their size and 64 MB, what its allocations may reuse."""
        return cls(device, 2 * tensor_bytes(inputs) + (64 << 20))

    def __enter__(self) -> "PoisonedMemory":
        if _MALLOPT is not None:
            _MALLOPT(_M_PERTURB, _FRESH_BYTE)
            _MALLOPT(_M_MMAP_THRESHOLD, 32 << 20)
        if self.device.type == "cuda":
            try:
                torch.empty(self.nbytes, dtype=torch.uint8, device=self.device).fill_(0xFF)  # freed at once
            except torch.OutOfMemoryError:
                pass
        return self

    def __exit__(self, *exc: object) -> None:
        if _MALLOPT is not None:
            _MALLOPT(_M_PERTURB, 0)
            _MALLOPT(_M_MMAP_THRESHOLD, 128 << 10)


# --- one call -------------------------------------------------------------------------------------

def _span(t: torch.Tensor) -> tuple[int, int]:
    storage = t.untyped_storage()
    return storage.data_ptr(), storage.data_ptr() + storage.nbytes()


def _overlap(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.device != b.device or a.untyped_storage().nbytes() == 0 or b.untyped_storage().nbytes() == 0:
        return False
    (a0, a1), (b0, b1) = _span(a), _span(b)
    return a0 < b1 and b0 < a1


def _unchanged(tensor: torch.Tensor, original: torch.Tensor) -> bool:
    """Equal to its copy, NaN where the copy has NaN (torch.equal calls NaN unequal to itself)."""
    if _equal(tensor, original):
        return True
    if not tensor.is_floating_point() or tensor.shape != original.shape:
        return False
    return bool(((tensor == original) | (tensor.isnan() & original.isnan())).all())


def _thread_ids() -> set[str] | None:
    """The process's OS threads, native ones included (Linux); None where /proc is not there."""
    try:
        return set(os.listdir("/proc/self/task"))
    except OSError:
        return None


class ThreadWatch:
    """OS threads born during timed calls, seen between calls (never inside the timed region).

    A thread born in a call that ends later did that call's work after forward returned, where the
    timer does not see it (thread deferral, native threads included). A new thread in more than one
    call is the same cheat with threads that never end. A pool created once, and kept, is neither."""

    def __init__(self) -> None:
        self.seen = _thread_ids()
        self.born: dict[str, int] = {}  # thread id -> the call it was born in
        self.next_call = 0

    def before_call(self, index: int) -> None:
        """Before call `index` (warm-up calls are negative): threads new since call index-1 began were born in it."""
        now = _thread_ids()
        self.next_call = index + 1
        if now is None or self.seen is None:
            return
        if index > 0:
            self.born.update({tid: index - 1 for tid in now - self.seen})
        self.seen = now

    def finish(self) -> None:
        self.before_call(self.next_call)
        if self.seen is None:
            return
        ended = sorted((call, tid) for tid, call in self.born.items() if tid not in self.seen)
        if ended:
            raise Violation(f"timed call {ended[0][0] + 1} started a thread that was still running when forward "
                            "returned and ended later; all work must be done when forward returns")
        spawning = sorted(set(self.born.values()))
        if len(spawning) > 1:
            raise Violation(f"timed calls {spawning[0] + 1} and {spawning[1] + 1} each left a new thread "
                            "running; all work must be done when forward returns")


class _PointerAttributes(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("device", ctypes.c_int), ("devicePointer", ctypes.c_void_p),
                ("hostPointer", ctypes.c_void_p), ("reserved", ctypes.c_long * 32)]  # room for newer runtimes' fields


_DEVICE_MEMORY = 2  # cudaMemoryTypeDevice; host-mapped (1) and managed (3) memory the CPU can write directly


def check_device_memory(outputs: list[Any]) -> None:
    """CUDA outputs must live in device memory. The device clock (timing.DeviceSpans) counts what the device
    ran; an output in host-mapped or managed memory could be written by the CPU after the last kernel, with
    no device work to count."""
    cudart = timing.cudart()
    for i, out in enumerate(tensors(outputs)):
        if cudart is None or not out.is_cuda or out.untyped_storage().nbytes() == 0:
            continue
        attributes = _PointerAttributes()
        if cudart.cudaPointerGetAttributes(ctypes.byref(attributes), ctypes.c_void_p(out.data_ptr())) != 0:
            cudart.cudaGetLastError()
            continue
        if attributes.type != _DEVICE_MEMORY:
            kind = {1: "host-mapped", 3: "managed"}.get(attributes.type, f"type {attributes.type}")
            raise Violation(f"output {i} lives in {kind} memory, not device memory; outputs must be computed "
                            "on the device into device memory (torch's allocator or cudaMalloc)")


class CallChecker:
    """Checks each forward call: plain tensors out, not the previous call's memory, inputs untouched,
    own code run, no Python thread left working.

    An output may be a view of an input (some references return views); writing to an input is what
    the rules forbid."""

    def __init__(self, counter: OwnCodeCounter, require_own_code: bool):
        self.counter = counter
        self.require_own_code = require_own_code
        self.earlier: list[torch.Tensor] = []  # the previous call's outputs, kept alive on purpose
        self.forward_seconds = 0.0  # host time of the checked calls (with counter.seconds: the CPU share)
        self.own_seconds = 0.0

    def call(self, forward: Callable[[], Any], inputs: list[Any]) -> Any:
        originals = [t.clone() for t in tensors(inputs)]
        threads = set(_current_threads())
        calls_before, own_before = self.counter.calls, self.counter.seconds
        started = _perf_counter()
        result = forward()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()
        self.forward_seconds += _perf_counter() - started
        self.own_seconds += self.counter.seconds - own_before
        self._check(result, inputs, originals, threads, self.counter.calls - calls_before)
        return result

    def _check(self, result: Any, inputs: list[Any], originals: list[torch.Tensor], threads: set,
               own_calls: int) -> None:
        outputs = listed(result)
        for i, out in enumerate(outputs):
            if type(out) is not torch.Tensor:
                raise Violation(f"output {i} is a {type(out).__module__}.{type(out).__name__}, not a plain "
                                "torch.Tensor; forward must return computed tensors")
            for earlier in self.earlier:
                if _overlap(out, earlier):
                    raise Violation(f"output {i} shares memory with an output of the previous call, still "
                                    "in use; every call must compute a fresh result")
        for j, (tensor, original) in enumerate(zip(tensors(inputs), originals)):
            if not _unchanged(tensor, original):
                raise Violation(f"forward modified input {j} in place; inputs must be left as they were given")
        check_device_memory(outputs)
        leftover = [t for t in _current_threads() if t not in threads and t.is_alive()]
        if leftover:
            raise Violation(f"forward left a thread running ({leftover[0].name}); all work must be done when "
                            "forward returns")
        if self.require_own_code and self.counter.countable and own_calls == 0:
            raise Violation("forward ran none of the solution's own compiled functions (the call used only "
                            "PyTorch or library code); a solution must run its own kernels on every call")
        self.earlier = outputs
