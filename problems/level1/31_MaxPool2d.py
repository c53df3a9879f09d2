import torch
import torch.nn as nn


class Model(nn.Module):
    """2D max pooling, 3x3 window, stride 2, padding 1 (overlapping windows, as in ResNet's stem)."""

    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, channels, H, W) -> (batch, channels, ceil(H/2), ceil(W/2)) for these settings."""
        return self.pool(x)


batch_size = 24
channels = 64
height = 512
width = 512
kernel_size = 3
stride = 2
padding = 1
SMALL_SIZES = {"batch_size": 3, "channels": 5, "height": 17, "width": 33}


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [kernel_size, stride, padding]
