import torch
import torch.nn as nn


class Model(nn.Module):
    """Conv2d (with bias, 3x3, padding 1) -> ReLU -> multiply by a learned per-channel scale."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        with torch.no_grad():
            self.conv.bias.uniform_(-0.2, 0.2)  # bias comparable to the conv output's spread, shifts ReLU
        self.scale = nn.Parameter(torch.empty(out_channels, 1, 1))
        with torch.no_grad():
            self.scale.uniform_(0.5, 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        x = torch.relu(x)
        return x * self.scale


batch_size = 32
in_channels = 64
out_channels = 128
height = 128
width = 128
kernel_size = 3
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 17, "width": 33}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
