import torch
import torch.nn as nn


class Model(nn.Module):
    """Elementwise select torch.where(mask, x, y) with a random boolean mask (about half True)."""

    def __init__(self):
        super().__init__()

    def forward(self, mask: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """mask: (batch, dim) bool, x, y: (batch, dim) float -> (batch, dim)."""
        return torch.where(mask, x, y)


batch_size = 4096
dim = 49152
SMALL_SIZES = {"batch_size": 3, "dim": 1001}


def get_inputs():
    mask = torch.rand(batch_size, dim) < 0.5
    x = torch.randn(batch_size, dim)
    y = torch.randn(batch_size, dim) * 2 + 1
    return [mask, x, y]


def get_init_inputs():
    return []
