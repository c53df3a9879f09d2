import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Elementwise LeakyReLU with negative slope 0.1 (not the default 0.01, so the negative side is clearly not ReLU)."""

    def __init__(self, negative_slope: float):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: any shape -> same shape, elementwise."""
        return F.leaky_relu(x, negative_slope=self.negative_slope)


batch_size = 4096
dim = 65536
SMALL_SIZES = {"batch_size": 3, "dim": 1001}


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [0.1]
