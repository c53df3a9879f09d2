import torch
import torch.nn as nn


class Model(nn.Module):
    """InstanceNorm2d: normalise each (sample, channel) plane over its pixels, then a per-channel affine
    re-initialised at random. Inputs have per-plane offsets and scales."""

    def __init__(self, num_features: int):
        super().__init__()
        self.inorm = nn.InstanceNorm2d(num_features, eps=1e-5, affine=True, track_running_stats=False)
        with torch.no_grad():
            self.inorm.weight.uniform_(0.5, 1.5)
            self.inorm.bias.normal_(0.0, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, num_features, H, W) -> same shape."""
        return self.inorm(x)


batch_size = 32
num_features = 128
height = 256
width = 256
SMALL_SIZES = {"batch_size": 3, "num_features": 5, "height": 17, "width": 33}


def get_inputs():
    scale = torch.rand(batch_size, num_features, 1, 1) * 3 + 0.5
    shift = torch.randn(batch_size, num_features, 1, 1) * 2
    return [torch.randn(batch_size, num_features, height, width) * scale + shift]


def get_init_inputs():
    return [num_features]
