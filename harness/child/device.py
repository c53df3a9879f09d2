"""Which device a child runs on: the one place "auto", "cuda" and "cpu" are turned into a torch device."""
from __future__ import annotations

import torch

from ..common.errors import BadInput
from ..common.settings import DEVICES
from ..wire.messages import Started


def resolve_device(name: str) -> torch.device:
    """`auto`: cuda where torch sees a GPU, else cpu; `cuda` where there is none is bad input."""
    if name not in DEVICES:
        raise BadInput(f"unknown device {name!r}: use {', '.join(DEVICES)}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise BadInput("--device cuda asked for, but torch sees no CUDA device here "
                       f"(torch {torch.__version__}, built with CUDA {torch.version.cuda}); use --device cpu")
    return torch.device(name)


def started(device: torch.device, sizes: str) -> Started:
    """The first answer of a process that runs the problem: where, with which torch, at which sizes."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    return Started(device=device.type, device_name=name, torch=torch.__version__, cuda=torch.version.cuda,
                   sizes=sizes)
