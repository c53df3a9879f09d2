"""Models and inputs, made the same way in every process: the same seed gives the same weights and inputs.

Model and ModelNew are constructed right after `torch.manual_seed(weight_seed)` (KernelBench's
semantics), then ModelNew gets the reference's weights where they correspond. Inputs for a draw come
from `torch.manual_seed(seed)` then `get_inputs()`, on the device.
"""
from __future__ import annotations

from typing import Any

import torch

from ..common import seeds
from . import timing
from .tensors import tensor_bytes


def make_inputs(problem: Any, seed: int, device: torch.device, scale: float = 1.0) -> list[Any]:
    """The problem's inputs for `seed`, floating-point ones multiplied by `scale` (see seeds.call_scale).

    Drawn on the device itself (torch's factory functions follow the default device): GBs of random
    numbers take seconds on a CPU. Every process draws the same way, so the same seed gives the same inputs.
    """
    torch.manual_seed(seed)
    with torch.device(device):
        inputs = [x.to(device) if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]
    if scale != 1.0:
        for x in inputs:
            if _scalable(x):
                x.mul_(scale)
    return inputs


def _scalable(x: Any) -> bool:
    return isinstance(x, torch.Tensor) and x.is_floating_point()


class CallInputs:
    """The inputs of the timed calls: one draw, rescaled before every call so no two calls share contents, in
    copies that the calls take in turn (timing.placements: where a buffer lies moves a kernel's time)."""

    def __init__(self, problem: Any, seed: int, scale_seed: int, device: torch.device):
        first = make_inputs(problem, seed, device)
        self.base = [x.clone() if _scalable(x) else None for x in first]
        self.copies = [first] + [[x.clone() if isinstance(x, torch.Tensor) else x for x in first]
                                 for _ in range(timing.placements(tensor_bytes(first), device) - 1)]
        self.values = first
        self.scale_seed = scale_seed

    def refresh(self, index: int) -> None:
        self.values = self.copies[index % len(self.copies)]
        scale = seeds.call_scale(self.scale_seed, index)
        for value, base in zip(self.values, self.base):
            if base is not None:
                torch.mul(base, scale, out=value)


def init_inputs(problem: Any, seed: int) -> list[Any]:
    torch.manual_seed(seed)
    return list(problem.get_init_inputs())


def construct(cls: type, init: list[Any], seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)  # KernelBench's semantics: the same seed before Model and ModelNew
    return cls(*init)


def reference_model(problem: Any, seed: int) -> torch.nn.Module:
    """The problem's Model as every process builds it: get_init_inputs and Model, each after the same seed."""
    return construct(problem.Model, init_inputs(problem, seed), seed)


def sync_weights(reference: torch.nn.Module, solution: torch.nn.Module) -> str:
    """Give the solution the reference's parameters and buffers where they correspond; say how."""
    ref, sol = reference.state_dict(), solution.state_dict()
    if not sol:
        return "none: ModelNew has no parameters or buffers"
    by_name = {k: ref[k] for k, v in sol.items() if k in ref and ref[k].shape == v.shape}
    if len(by_name) == len(sol):
        pairs, how = [(sol[k], by_name[k]) for k in sol], f"name: all {len(sol)} tensors loaded from the reference"
    elif len(ref) == len(sol) and all(a.shape == b.shape for a, b in zip(ref.values(), sol.values())):
        pairs, how = list(zip(sol.values(), ref.values())), f"order: all {len(sol)} tensors loaded by position"
    elif by_name:
        pairs = [(sol[k], by_name[k]) for k in by_name]
        how = f"partial: {len(by_name)} of {len(sol)} tensors loaded by name, the rest from the shared seed"
    else:
        return "seed: no tensor matched the reference; weights come from the shared seed only"
    with torch.no_grad():
        for target, source in pairs:
            target.copy_(source)
    return how
