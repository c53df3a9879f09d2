import torch
import torch.nn as nn


class Model(nn.Module):
    """Sum over the middle dimension of a 3D tensor, keepdim=True: a strided reduction (the reduced dim is not
    the contiguous one)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, reduce_size, inner) -> (batch, 1, inner)."""
        return torch.sum(x, dim=self.dim, keepdim=True)


batch_size = 128
reduce_size = 4096
inner = 1024
SMALL_SIZES = {"batch_size": 3, "reduce_size": 101, "inner": 33}


def get_inputs():
    return [torch.randn(batch_size, reduce_size, inner)]


def get_init_inputs():
    return [1]
