"""Whose code did the work: the share of a forward's time spent in the solution's own compiled code.

On CPU the share comes from the call counter (harness.child.guard.OwnCodeCounter also times the calls into the
solution's extensions). On GPU one forward runs under torch's profiler; each kernel that ran is
attributed by name: the solution's own kernels are the `__global__` functions of its CUDA sources
and the Triton kernels it launched; everything else (cuBLAS, cuDNN, ATen, copies) is library work.
A token kernel beside a library call shows up as a small share.

Where Triton's interpreter runs the solution's Triton kernels (TRITON_INTERPRET=1, always without CUDA), each launch
still counts, so a forward that launches none of them is still caught; but the share is the host time of Python
emulating the kernel, far above its time on a GPU, beside PyTorch's native ops: it overstates the kernels' part, and a
token kernel can look like most of the work (`INTERPRETED` says so in the verdict). On a GPU graded with
TRITON_INTERPRET=1 the profiler sees no Triton kernel at all.
"""
from __future__ import annotations

import re
from typing import Any, Callable

import torch

from ..common.verdict import Provenance

INTERPRETED = ("Triton's interpreter ran the Triton kernels, as Python on the host: by the host timer their share is "
               "Python's time emulating them, which overstates their part; a GPU's profiler sees none of it")
_LAUNCH_BOUNDS = re.compile(r"__launch_bounds__\s*\([^)]*\)")
_GLOBAL_FUNCTION = re.compile(r"__global__\b[^;{(]*?\b([A-Za-z_]\w*)\s*\(")
# Namespaces of the libraries torch ships: a kernel there is never the solution's.
_LIBRARY_NAMESPACES = ("at::", "c10::", "cub::", "cutlass::", "cudnn", "cublas", "thrust::", "flash::",
                       "pytorch_flash::", "void at::", "void c10::", "void cub", "void cutlass")


def kernel_names(sources: list[str]) -> set[str]:
    """The `__global__` function names defined in CUDA source texts."""
    names: set[str] = set()
    for source in sources:
        names.update(_GLOBAL_FUNCTION.findall(_LAUNCH_BOUNDS.sub("", source)))
    return names


def _base_name(kernel: str) -> tuple[str, str]:
    """('at::native::', 'vectorized_elementwise_kernel') from a demangled kernel name."""
    text = kernel.replace("(anonymous namespace)::", "").removeprefix("void ")
    depth, plain = 0, []
    for char in text:  # drop template arguments, which may nest
        if char == "<":
            depth += 1
        elif char == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            if char == "(":
                break
            plain.append(char)
    qualified = "".join(plain).strip().split(" ")[-1]
    prefix, _, base = qualified.rpartition("::")
    return (prefix + "::" if prefix else ""), base


def is_own(kernel: str, own: set[str]) -> bool:
    prefix, base = _base_name(kernel)
    return base in own and not kernel.startswith(_LIBRARY_NAMESPACES) and not prefix.startswith(_LIBRARY_NAMESPACES)


def gpu_share(forward: Callable[[], Any], own: set[str]) -> Provenance:
    """Profile one forward and divide its kernel time between `own` kernels and the rest."""
    # torch.autograd.profiler, not torch.profiler: the latter imports torch._dynamo on first use (seconds
    # on the grade's critical path); both record the kernels through Kineto and CUPTI.
    from torch.autograd import DeviceType, profiler

    try:
        with profiler.profile(use_kineto=True, use_device="cuda") as prof:
            forward()
            torch.cuda.synchronize()
        events = [e for e in prof.function_events if e.device_type == DeviceType.CUDA]
    except Exception as exc:  # no CUPTI, profiler busy: report, never fail the grade for it
        return Provenance(method="profiler", note=f"profiler unavailable: {type(exc).__name__}: {exc}"[:200])
    busy: dict[str, float] = {}
    for event in events:
        busy[event.name] = busy.get(event.name, 0.0) + event.time_range.elapsed_us()
    total = sum(busy.values())
    if total <= 0:
        return Provenance(method="profiler", note="the profiler saw no GPU work")
    ranked = sorted(busy, key=busy.get, reverse=True)
    mine = [k for k in ranked if is_own(k, own)]
    return Provenance(own_share=sum(busy[k] for k in mine) / total, method="profiler",
                      own_kernels=[_short(k) for k in mine[:5]],
                      other_kernels=[_short(k) for k in ranked if k not in mine][:5])


def host_share(own_seconds: float, forward_seconds: float) -> Provenance:
    if forward_seconds <= 0:
        return Provenance(method="host timer", note="no forward time measured")
    return Provenance(own_share=min(1.0, own_seconds / forward_seconds), method="host timer")


def _short(kernel: str) -> str:
    return kernel if len(kernel) <= 120 else kernel[:117] + "..."
