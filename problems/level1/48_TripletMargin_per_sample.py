import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Per-sample triplet margin loss (reduction='none'): max(||a - p||_2 - ||a - n||_2 + margin, 0).
    Positives and negatives are the anchor plus noise of a per-sample random scale, so about half the
    triplets are violated (positive loss) and half are not (zero)."""

    def __init__(self, margin: float):
        super().__init__()
        self.margin = margin

    def forward(self, anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
        """anchor, positive, negative: (batch, dim) -> (batch,)."""
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=2.0, reduction="none")


batch_size = 65536
dim = 2048
SMALL_SIZES = {"batch_size": 101, "dim": 33}


def get_inputs():
    anchor = torch.randn(batch_size, dim)
    positive = anchor + torch.randn(batch_size, dim) * (torch.rand(batch_size, 1) + 0.5)
    negative = anchor + torch.randn(batch_size, dim) * (torch.rand(batch_size, 1) + 0.5)
    return [anchor, positive, negative]


def get_init_inputs():
    return [1.0]
