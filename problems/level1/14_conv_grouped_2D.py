import torch
import torch.nn as nn


class Model(nn.Module):
    """Grouped 2D convolution: 8 groups of 16 -> 32 channels, 3x3 kernel, padding 1, with bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, groups: int):
        super().__init__()
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, groups=groups,
                                bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, in_channels, H, W) -> (batch, out_channels, H, W)."""
        return self.conv2d(x)


batch_size = 32
in_channels = 128
out_channels = 256
kernel_size = 3
groups = 8
height = 128
width = 128
SMALL_SIZES = {"batch_size": 3, "in_channels": 9, "out_channels": 15, "groups": 3, "height": 17, "width": 13}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size, groups]
