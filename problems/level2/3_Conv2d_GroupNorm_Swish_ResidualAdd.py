import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Residual unit: y = x + Swish(GroupNorm(Conv2d_3x3(x))), with Swish(z) = z * sigmoid(z).

    The convolution keeps the channel count and spatial size (padding 1) so the skip adds directly.
    GroupNorm's affine parameters are re-drawn so that it is not a plain standardisation.
    """

    def __init__(self, channels: int, num_groups: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.norm = nn.GroupNorm(num_groups, channels)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 2.0)
            self.norm.bias.uniform_(-1.0, 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, channels, height, width).

        Returns:
            torch.Tensor: same shape as x.
        """
        z = self.norm(self.conv(x))
        return x + z * torch.sigmoid(z)


batch_size = 32
channels = 64
num_groups = 8
height = 128
width = 128
SMALL_SIZES = {"batch_size": 3, "channels": 15, "num_groups": 5, "height": 17, "width": 13}


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [channels, num_groups]
