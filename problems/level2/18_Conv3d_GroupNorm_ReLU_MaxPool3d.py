import torch
import torch.nn as nn


class Model(nn.Module):
    """
    3D convolution (kernel 3, padding 1, with bias), GroupNorm, ReLU, then 2x2x2 max pooling.

    GroupNorm's affine parameters are re-drawn so that it is not a plain standardisation and the
    ReLU cuts each channel at a different point.
    """

    def __init__(self, in_channels: int, out_channels: int, num_groups: int):
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, 3, padding=1)
        self.norm = nn.GroupNorm(num_groups, out_channels)
        self.pool = nn.MaxPool3d(2)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, depth, height, width).

        Returns:
            torch.Tensor: (batch_size, out_channels, depth // 2, height // 2, width // 2).
        """
        return self.pool(torch.relu(self.norm(self.conv(x))))


batch_size = 8
in_channels = 8
out_channels = 32
num_groups = 8
depth = 32
height = 96
width = 96
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 9, "num_groups": 3,
               "depth": 5, "height": 9, "width": 11}


def get_inputs():
    return [torch.randn(batch_size, in_channels, depth, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, num_groups]
