import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Elementwise ELU with alpha 1.5: x for x > 0, alpha * (exp(x) - 1) otherwise; inputs of std 2 cross zero."""

    def __init__(self, alpha: float):
        super().__init__()
        self.alpha = alpha

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: any shape -> same shape, elementwise."""
        return F.elu(x, alpha=self.alpha)


batch_size = 4096
dim = 65536
SMALL_SIZES = {"batch_size": 3, "dim": 1001}


def get_inputs():
    return [torch.randn(batch_size, dim) * 2]


def get_init_inputs():
    return [1.5]
