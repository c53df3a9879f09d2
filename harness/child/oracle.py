"""The float64 oracle: the problem's Model and its floating inputs upcast with `.to(torch.float64)`.

Where the float64 copy cannot be made or cannot run, the reference's own outputs, upcast, serve, and
the grade says so (`correctness.oracle: "reference"`). Used by the reference process and by `kb lint`
(which reports why a copy fails, so the raising steps are public too).
"""
from __future__ import annotations

import copy
from typing import Any

import torch

from .compare import as_outputs


def float64_copy(model: torch.nn.Module) -> torch.nn.Module:
    return copy.deepcopy(model).to(torch.float64)


def upcast(inputs: list[Any]) -> list[Any]:
    """The floating-point tensors among `inputs` in float64; everything else as it is."""
    return [x.to(torch.float64) if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in inputs]


def run_float64(model64: torch.nn.Module, inputs: list[Any]) -> list[torch.Tensor]:
    """The float64 copy's outputs on `inputs` upcast, detached."""
    with torch.no_grad():
        return [t.detach() for t in as_outputs(model64(*upcast(inputs)))]


def tolerant_copy(model: torch.nn.Module) -> torch.nn.Module | None:
    """float64_copy, or None where it cannot be made."""
    try:
        return float64_copy(model)
    except Exception:
        return None


def oracle_outputs(model64: torch.nn.Module | None, inputs: list[Any], count: int) -> list[torch.Tensor] | None:
    """run_float64, or None where there is no copy, it raises, or it returns other than `count` outputs."""
    if model64 is None:
        return None
    try:
        outputs = run_float64(model64, inputs)
    except Exception:
        return None
    return outputs if len(outputs) == count else None


def reference_as_oracle(reference: list[torch.Tensor]) -> list[torch.Tensor]:
    """The reference's outputs standing in for the oracle, floating ones upcast."""
    return [r.to(torch.float64) if r.is_floating_point() else r for r in reference]
