import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Per-row KL divergence KL(target || pred) = sum_j target_j * (log target_j - log_pred_j), with the model's
    prediction given as log-probabilities (as nn.KLDivLoss takes it). Each row's distributions have their own
    sharpness, so the per-row values spread widely instead of concentrating on one number."""

    def __init__(self):
        super().__init__()

    def forward(self, log_pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """log_pred: (batch, num_classes) log-probabilities, target: (batch, num_classes) probabilities -> (batch,)."""
        return F.kl_div(log_pred, target, reduction="none").sum(dim=1)


batch_size = 10240
num_classes = 16384
SMALL_SIZES = {"batch_size": 33, "num_classes": 1001}


def get_inputs():
    pred_sharpness = torch.rand(batch_size, 1) * 2.5 + 0.5
    target_sharpness = torch.rand(batch_size, 1) * 2.5 + 0.5
    log_pred = torch.log_softmax(torch.randn(batch_size, num_classes) * pred_sharpness, dim=1)
    target = torch.softmax(torch.randn(batch_size, num_classes) * target_sharpness, dim=1)
    return [log_pred, target]


def get_init_inputs():
    return []
