import torch
import torch.nn as nn


class Model(nn.Module):
    """BatchNorm2d with batch statistics (track_running_stats=False, so it normalises with the batch's per-channel
    mean and biased variance in any mode), then a random per-channel affine. Inputs have per-channel offsets and
    scales so the normalisation matters; weight and bias are re-initialised so the affine is not the identity."""

    def __init__(self, num_features: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(num_features, eps=1e-5, affine=True, track_running_stats=False)
        with torch.no_grad():
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.normal_(0.0, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, num_features, H, W) -> same shape."""
        return self.bn(x)


batch_size = 64
num_features = 64
height = 256
width = 256
SMALL_SIZES = {"batch_size": 3, "num_features": 5, "height": 17, "width": 33}


def get_inputs():
    scale = torch.rand(num_features, 1, 1) * 3 + 0.5
    shift = torch.randn(num_features, 1, 1) * 2
    return [torch.randn(batch_size, num_features, height, width) * scale + shift]


def get_init_inputs():
    return [num_features]
