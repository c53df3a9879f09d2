import torch
import torch.nn as nn


class Model(nn.Module):
    """Product over a short middle dimension (8 factors). Factors are 1 + 0.5 * N(0, 1), so products keep a
    moderate magnitude, change sign and are sometimes near zero."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, factors, inner) -> (batch, inner)."""
        return torch.prod(x, dim=self.dim)


batch_size = 4096
factors = 8
inner = 16384
SMALL_SIZES = {"batch_size": 3, "factors": 5, "inner": 1001}


def get_inputs():
    return [1.0 + 0.5 * torch.randn(batch_size, factors, inner)]


def get_init_inputs():
    return [1]
