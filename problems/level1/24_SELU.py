import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Elementwise SELU scale * (max(0, x) + min(0, alpha * (exp(x) - 1))) with the fixed self-normalising constants; inputs of std 2."""

    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: any shape -> same shape, elementwise."""
        return torch.selu(x)


batch_size = 4096
dim = 65536
SMALL_SIZES = {"batch_size": 3, "dim": 1001}


def get_inputs():
    return [torch.randn(batch_size, dim) * 2]


def get_init_inputs():
    return []
