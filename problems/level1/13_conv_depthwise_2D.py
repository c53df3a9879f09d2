import torch
import torch.nn as nn


class Model(nn.Module):
    """Depthwise 2D convolution (groups = channels): one 5x5 filter per channel, padding 2, with bias."""

    def __init__(self, channels: int, kernel_size: int):
        super().__init__()
        self.conv2d = nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels,
                                bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, channels, H, W) -> (batch, channels, H, W)."""
        return self.conv2d(x)


batch_size = 24
channels = 128
kernel_size = 5
height = 256
width = 256
SMALL_SIZES = {"batch_size": 3, "channels": 7, "height": 17, "width": 33}


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [channels, kernel_size]
