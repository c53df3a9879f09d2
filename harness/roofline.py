"""The physical floor under a forward call: no honest kernel can be faster.

A problem's work is counted from the reference: floating-point operations
(torch's FLOP counter: matmuls, convolutions, attention) and the bytes that
must come from memory (every input and parameter is read at least once; the
timer flushes the caches before each call, so they come from DRAM). The floor
is the larger of work / peak compute and bytes / peak bandwidth, with peaks
for the card taken generously (above what any kernel reaches), so a time
below the floor means the time is wrong, not that the kernel is good.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Work:
    flops: int        # floating-point operations of one forward (0 where torch counts none)
    read_bytes: int   # inputs + parameters + buffers: read at least once per call


@dataclass(frozen=True)
class Peak:
    flops_per_s: float   # the fastest dense tensor-core rate of the card, any dtype
    bytes_per_s: float   # DRAM bandwidth


# Card name prefix -> generous peaks: the datasheet's dense FP8 tensor rate (above any fp32/bf16
# kernel) and DRAM bandwidth rounded up. Unknown cards get no floor rather than a wrong one.
PEAKS: dict[str, Peak] = {
    "NVIDIA H100 80GB HBM3": Peak(flops_per_s=1979e12, bytes_per_s=3.35e12),
    "NVIDIA H100": Peak(flops_per_s=1979e12, bytes_per_s=3.9e12),
    "NVIDIA H200": Peak(flops_per_s=1979e12, bytes_per_s=4.8e12),
    "NVIDIA A100": Peak(flops_per_s=624e12, bytes_per_s=2.04e12),
}


def peak_for(device_name: str) -> Peak | None:
    for prefix in sorted(PEAKS, key=len, reverse=True):
        if device_name.startswith(prefix):
            return PEAKS[prefix]
    return None


def tensor_bytes(values: list[Any]) -> int:
    """The bytes of the tensors among `values`."""
    import torch
    return sum(v.numel() * v.element_size() for v in values if isinstance(v, torch.Tensor))


def count(model: Any, inputs: list[Any]) -> tuple[Work, Any]:
    """The work of one forward of `model` on `inputs`, on whatever device they are, and its outputs."""
    import torch

    counter = _flop_counter()
    with counter, torch.no_grad():
        outputs = model(*inputs)
    state = list(model.parameters()) + list(model.buffers())
    return Work(flops=counter.flops, read_bytes=tensor_bytes(inputs) + tensor_bytes(state)), outputs


def count_on_meta(problem: Any, seed: int) -> tuple[Work, Any]:
    """The problem's work at its current sizes, and its outputs, on the meta device: shapes only, nothing
    allocated (`kb lint` counts full-size problems on machines that could not hold them)."""
    import torch

    with torch.device("meta"):
        torch.manual_seed(seed)
        return count(problem.Model(*problem.get_init_inputs()), list(problem.get_inputs()))


def _flop_counter() -> Any:
    """A dispatch mode that adds up torch's FLOP formulas (torch.utils.flop_counter.flop_registry) for the aten ops
    a forward runs, decomposing ops that have no formula, as torch's FlopCounterMode does. Not FlopCounterMode
    itself: a dispatch mode that lets torch wrap its dispatch in torch._dynamo.disable imports torch._dynamo on
    first use, seconds of a grade. (On the meta device many ops run torch's Python references, which import
    it anyway; on a real device they do not.)"""
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import flop_registry

    class FlopCount(TorchDispatchMode):
        @classmethod
        def _should_skip_dynamo(cls) -> bool:  # torch's hook: False leaves __torch_dispatch__ unwrapped
            return False

        def __init__(self) -> None:
            super().__init__()
            self.flops = 0

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            formula = flop_registry.get(func._overloadpacket)
            if formula is None:
                with self:
                    decomposed = func.decompose(*args, **kwargs)
                if decomposed is not NotImplemented:
                    return decomposed
            out = func(*args, **kwargs)
            if formula is not None:
                self.flops += int(formula(*args, **kwargs, out_val=out))
            return out

    return FlopCount()


def floor_ms(work: Work, peak: Peak | None) -> float | None:
    """The least time one forward can take on the card, in ms; None where the card is unknown."""
    if peak is None:
        return None
    return 1e3 * max(work.flops / peak.flops_per_s, work.read_bytes / peak.bytes_per_s)
