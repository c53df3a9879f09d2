import torch
import torch.nn as nn


class Model(nn.Module):
    """Pointwise (1x1) 2D convolution mixing channels at every pixel, with bias."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, in_channels, H, W) -> (batch, out_channels, H, W)."""
        return self.conv2d(x)


batch_size = 16
in_channels = 256
out_channels = 512
height = 128
width = 128
SMALL_SIZES = {"batch_size": 3, "in_channels": 33, "out_channels": 17, "height": 13, "width": 11}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels]
