import torch
import torch.nn as nn


class Model(nn.Module):
    """3D average pooling, 3x3x3 window, stride 2, padding 1 (zero padding counted, the PyTorch default).
    Inputs have mean 1, so border windows (which divide by 27 regardless) differ clearly from interior ones."""

    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.AvgPool3d(kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, channels, D, H, W) -> (batch, channels, ceil(D/2), ceil(H/2), ceil(W/2)) for these settings."""
        return self.pool(x)


batch_size = 12
channels = 32
depth = 64
height = 128
width = 128
kernel_size = 3
stride = 2
padding = 1
SMALL_SIZES = {"batch_size": 2, "channels": 3, "depth": 9, "height": 17, "width": 13}


def get_inputs():
    return [torch.randn(batch_size, channels, depth, height, width) + 1.0]


def get_init_inputs():
    return [kernel_size, stride, padding]
