import torch
import torch.nn as nn


class Model(nn.Module):
    """2D convolution, 3x3 kernel with dilation 2 and padding 2 (output keeps the input's size), no bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int):
        super().__init__()
        padding = dilation * (kernel_size - 1) // 2
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, dilation=dilation,
                                bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, in_channels, height, width) -> (batch, out_channels, height, width)."""
        return self.conv2d(x)


batch_size = 16
in_channels = 64
out_channels = 64
kernel_size = 3
dilation = 2
height = 256
width = 256
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 17, "width": 33}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size, dilation]
