import torch
import torch.nn as nn


class Model(nn.Module):
    """3D convolution over a volume, 3x3x3 kernel, padding 1 (same size), with bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv3d = nn.Conv3d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, in_channels, D, H, W) -> (batch, out_channels, D, H, W)."""
        return self.conv3d(x)


batch_size = 8
in_channels = 16
out_channels = 32
kernel_size = 3
depth = 64
height = 64
width = 64
SMALL_SIZES = {"batch_size": 2, "in_channels": 3, "out_channels": 5, "depth": 7, "height": 11, "width": 13}


def get_inputs():
    return [torch.randn(batch_size, in_channels, depth, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
