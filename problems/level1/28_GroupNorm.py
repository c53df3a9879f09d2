import torch
import torch.nn as nn


class Model(nn.Module):
    """GroupNorm: normalise each (sample, group of channels) over its channels and pixels, then a per-channel
    affine re-initialised at random (the default weight 1 / bias 0 would make it the identity affine).
    Inputs have per-sample-and-channel offsets and scales so every group has its own statistics."""

    def __init__(self, num_groups: int, num_channels: int):
        super().__init__()
        self.gn = nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)
        with torch.no_grad():
            self.gn.weight.uniform_(0.5, 1.5)
            self.gn.bias.normal_(0.0, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, num_channels, H, W) -> same shape."""
        return self.gn(x)


batch_size = 32
num_channels = 128
num_groups = 8
height = 256
width = 256
SMALL_SIZES = {"batch_size": 3, "num_channels": 15, "num_groups": 5, "height": 17, "width": 13}


def get_inputs():
    scale = torch.rand(batch_size, num_channels, 1, 1) * 3 + 0.5
    shift = torch.randn(batch_size, num_channels, 1, 1) * 2
    return [torch.randn(batch_size, num_channels, height, width) * scale + shift]


def get_init_inputs():
    return [num_groups, num_channels]
