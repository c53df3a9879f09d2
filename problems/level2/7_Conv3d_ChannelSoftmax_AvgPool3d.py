import torch
import torch.nn as nn


class Model(nn.Module):
    """
    3D convolution (kernel 3, no padding, with bias), softmax over the channel dimension at every
    voxel, then 2x2x2 average pooling.

    The input is scaled by 3 so the channel logits have a spread of about 1.7 and the softmax is
    far from uniform.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, 3)
        self.pool = nn.AvgPool3d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, depth, height, width).

        Returns:
            torch.Tensor: (batch_size, out_channels, (depth - 2) // 2, (height - 2) // 2, (width - 2) // 2).
        """
        return self.pool(torch.softmax(self.conv(x), dim=1))


batch_size = 16
in_channels = 16
out_channels = 32
depth = 32
height = 64
width = 64
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "depth": 7, "height": 9, "width": 11}


def get_inputs():
    return [torch.randn(batch_size, in_channels, depth, height, width) * 3]


def get_init_inputs():
    return [in_channels, out_channels]
