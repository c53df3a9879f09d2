import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Elementwise Huber loss (reduction='none') with delta 1.5: 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta)
    elsewhere, d = pred - target. Differences have std ~2.8, so both branches are common."""

    def __init__(self, delta: float):
        super().__init__()
        self.delta = delta

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """pred, target: (batch, dim) -> (batch, dim)."""
        return F.huber_loss(pred, target, reduction="none", delta=self.delta)


batch_size = 4096
dim = 49152
SMALL_SIZES = {"batch_size": 3, "dim": 1001}


def get_inputs():
    return [torch.randn(batch_size, dim) * 2, torch.randn(batch_size, dim) * 2]


def get_init_inputs():
    return [1.5]
