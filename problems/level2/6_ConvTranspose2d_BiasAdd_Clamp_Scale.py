import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Stride-2 transposed convolution (kernel 4, padding 1: doubles height and width, no built-in bias),
    a learned per-channel bias, clamp to [clamp_min, clamp_max], then a learned per-channel scale.

    The clamp bounds sit inside the spread of the activations, so both bounds are active on a
    sizeable share of elements while most stay unclamped.
    """

    def __init__(self, in_channels: int, out_channels: int, clamp_min: float, clamp_max: float):
        super().__init__()
        self.conv_t = nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1, bias=False)
        self.bias = nn.Parameter(torch.randn(out_channels, 1, 1) * 0.2)
        self.scale = nn.Parameter(torch.rand(out_channels, 1, 1) + 0.5)
        self.clamp_min = clamp_min
        self.clamp_max = clamp_max

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, height, width).

        Returns:
            torch.Tensor: (batch_size, out_channels, 2 * height, 2 * width).
        """
        y = self.conv_t(x) + self.bias
        return torch.clamp(y, self.clamp_min, self.clamp_max) * self.scale


batch_size = 32
in_channels = 64
out_channels = 32
height = 128
width = 128
clamp_min = -0.5
clamp_max = 0.6
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 9, "width": 11}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, clamp_min, clamp_max]
