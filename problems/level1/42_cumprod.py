import torch
import torch.nn as nn


class Model(nn.Module):
    """Cumulative product along each row. Factors are 1 + 0.02 * N(0, 1), so running products drift (a log-space
    random walk of std ~1.3 over 4096 steps) without underflowing or overflowing."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, length) -> same shape."""
        return torch.cumprod(x, dim=self.dim)


batch_size = 65536
length = 4096
SMALL_SIZES = {"batch_size": 3, "length": 1001}


def get_inputs():
    return [1.0 + 0.02 * torch.randn(batch_size, length)]


def get_init_inputs():
    return [1]
