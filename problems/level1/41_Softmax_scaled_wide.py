import torch
import torch.nn as nn


class Model(nn.Module):
    """softmax(scale * x) over very wide rows (131072 columns): too wide for one row to sit in one block's
    registers. With scale 4 the largest logits (about 4 * 4.4 = 18) dominate each row without making it one-hot."""

    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, dim) -> same shape, each row summing to 1."""
        return torch.softmax(x * self.scale, dim=1)


batch_size = 2048
dim = 131072
SMALL_SIZES = {"batch_size": 3, "dim": 1001}


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [4.0]
