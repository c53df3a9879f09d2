"""The work of one forward, counted from the reference: its FLOPs (torch's per-op formulas) and the bytes it
must read (inputs, parameters, buffers) and write (outputs). The parent turns it into the card's floor
(harness.parent.floor); `kb lint` estimates a full-size problem's time and memory from it.
"""
from __future__ import annotations

from typing import Any

import torch

from ..common.verdict import Work
from .tensors import listed, tensor_bytes


def count(model: Any, inputs: list[Any]) -> tuple[Work, Any]:
    """The work of one forward of `model` on `inputs`, on whatever device they are, and its outputs."""
    counter = _flop_counter()
    with counter, torch.no_grad():
        outputs = model(*inputs)
    state = list(model.parameters()) + list(model.buffers())
    return Work(flops=counter.flops, read_bytes=tensor_bytes(inputs) + tensor_bytes(state),
                written_bytes=tensor_bytes(listed(outputs))), outputs


def count_on_meta(problem: Any, seed: int) -> tuple[Work, Any]:
    """The problem's work at its current sizes, and its outputs, on the meta device: shapes only, nothing
    allocated (`kb lint` counts full-size problems on machines that could not hold them)."""
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
