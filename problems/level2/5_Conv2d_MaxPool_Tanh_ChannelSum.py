import torch
import torch.nn as nn


class Model(nn.Module):
    """
    3x3 convolution (no padding, with bias), 2x2 max pooling (stride 2), tanh, then a sum over channels.

    The input is scaled so that the pooled activations (std ~1.2) reach tanh's saturating range, and
    the convolution bias is re-drawn in [-2, -0.4), around minus the typical 2x2 maximum, so the
    pooled values are roughly centred and the channel sum is not dominated by a common offset.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size)
        self.pool = nn.MaxPool2d(2)
        with torch.no_grad():
            self.conv.bias.uniform_(-2.0, -0.4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, height, width).

        Returns:
            torch.Tensor: (batch_size, (height - kernel_size + 1) // 2, (width - kernel_size + 1) // 2).
        """
        return torch.tanh(self.pool(self.conv(x))).sum(dim=1)


batch_size = 32
in_channels = 32
out_channels = 64
kernel_size = 3
height = 256
width = 256
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 19, "width": 23}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width) * 2]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
