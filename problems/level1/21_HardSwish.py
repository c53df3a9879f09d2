import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Elementwise HardSwish x * relu6(x + 3) / 6; inputs of std 3 cover all three pieces (0, quadratic, identity)."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: any shape -> same shape, elementwise."""
        return F.hardswish(x)


batch_size = 4096
dim = 65536
SMALL_SIZES = {"batch_size": 3, "dim": 1001}


def get_inputs():
    return [torch.randn(batch_size, dim) * 3]


def get_init_inputs():
    return []
