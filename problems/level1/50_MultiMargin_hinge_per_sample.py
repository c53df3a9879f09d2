import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Per-sample multi-class hinge loss (nn.MultiMarginLoss, p=1, reduction='none'):
    sum_{j != y} max(0, margin - x[y] + x[j]) / num_classes."""

    def __init__(self, margin: float):
        super().__init__()
        self.margin = margin

    def forward(self, scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """scores: (batch, num_classes) float, targets: (batch,) int64 -> (batch,)."""
        return F.multi_margin_loss(scores, targets, p=1, margin=self.margin, reduction="none")


batch_size = 131072
num_classes = 4096
SMALL_SIZES = {"batch_size": 33, "num_classes": 1001}


def get_inputs():
    scores = torch.randn(batch_size, num_classes)
    targets = torch.randint(0, num_classes, (batch_size,))
    return [scores, targets]


def get_init_inputs():
    return [1.0]
