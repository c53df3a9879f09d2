import torch
import torch.nn as nn


class Model(nn.Module):
    """Transposed 2D convolution that upsamples by 2: 4x4 kernel, stride 2, padding 1, with bias."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.conv_transpose2d = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=stride,
                                                   padding=padding, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, in_channels, H, W) -> (batch, out_channels, 2H, 2W)."""
        return self.conv_transpose2d(x)


batch_size = 32
in_channels = 64
out_channels = 32
kernel_size = 4
stride = 2
padding = 1
height = 128
width = 128
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 17, "width": 13}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size, stride, padding]
