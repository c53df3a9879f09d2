import torch
import torch.nn as nn


class Model(nn.Module):
    """Max over one dim (dim 1, the middle one) of a 3D tensor; returns the values, not the indices."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.max(x, dim=self.dim)[0]


batch_size = 128  # 1.6 GB read measured 0.496 ms on an H200 at 96: 2.1 GB keeps it in the band there too
dim1 = 4096
dim2 = 1024
SMALL_SIZES = {"batch_size": 3, "dim1": 257, "dim2": 33}


def get_inputs():
    return [torch.randn(batch_size, dim1, dim2)]


def get_init_inputs():
    return [1]
