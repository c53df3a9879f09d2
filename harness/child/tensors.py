"""A forward's result as a list, and the tensors and bytes among values: one definition for every role."""
from __future__ import annotations

from typing import Any

import torch


def listed(result: Any) -> list[Any]:
    """A forward's result as the list of its outputs: a tuple or list of them, or one."""
    return list(result) if isinstance(result, (tuple, list)) else [result]


def tensors(values: list[Any]) -> list[torch.Tensor]:
    return [v for v in values if isinstance(v, torch.Tensor)]


def tensor_bytes(values: list[Any]) -> int:
    """The bytes of the tensors among `values`."""
    return sum(v.numel() * v.element_size() for v in tensors(values))


def clones(values: list[Any]) -> list[Any]:
    """Private copies of the tensors among `values`; other values as they are."""
    return [v.clone() if isinstance(v, torch.Tensor) else v for v in values]
