import torch
import torch.nn as nn


class Model(nn.Module):
    """Reverse (suffix) cumulative sum along each row: out[i, j] = sum_{k >= j} x[i, k]."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, length) -> same shape."""
        return torch.cumsum(x.flip(self.dim), dim=self.dim).flip(self.dim)


batch_size = 32768
length = 8192
SMALL_SIZES = {"batch_size": 3, "length": 1001}


def get_inputs():
    return [torch.randn(batch_size, length)]


def get_init_inputs():
    return [1]
