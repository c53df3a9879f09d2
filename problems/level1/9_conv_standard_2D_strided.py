import torch
import torch.nn as nn


class Model(nn.Module):
    """2D convolution, 5x5 kernel, stride 2, padding 2 (halves height and width), with bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int):
        super().__init__()
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2,
                                bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, in_channels, H, W) -> (batch, out_channels, ceil(H/2), ceil(W/2))."""
        return self.conv2d(x)


batch_size = 16
in_channels = 32
out_channels = 64
kernel_size = 5
stride = 2
height = 512
width = 512
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 33, "width": 37}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size, stride]
