import torch
import torch.nn as nn


class Model(nn.Module):
    """
    3x3 convolution (padding 1, no bias: InstanceNorm would cancel it), InstanceNorm2d (no affine),
    LeakyReLU (slope 0.1), then multiplication by a learned per-channel scale.

    The scale is drawn from a standard normal, so channels differ in size and sign.
    """

    def __init__(self, in_channels: int, out_channels: int, negative_slope: float):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.norm = nn.InstanceNorm2d(out_channels)
        self.negative_slope = negative_slope
        self.scale = nn.Parameter(torch.randn(out_channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, height, width).

        Returns:
            torch.Tensor: (batch_size, out_channels, height, width).
        """
        y = torch.nn.functional.leaky_relu(self.norm(self.conv(x)), self.negative_slope)
        return y * self.scale


batch_size = 32
in_channels = 32
out_channels = 64
height = 192
width = 192
negative_slope = 0.1
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 17, "width": 13}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, negative_slope]
