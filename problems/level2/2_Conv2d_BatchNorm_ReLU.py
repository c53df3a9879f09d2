import torch
import torch.nn as nn


class Model(nn.Module):
    """
    3x3 convolution (padding 1, no bias: BatchNorm would cancel it), BatchNorm2d in training mode
    (batch statistics), then ReLU.

    The BatchNorm affine parameters are re-drawn so that it is not a plain standardisation.

    BatchNorm normalises with the batch statistics (training-mode behaviour) and keeps no running
    statistics (track_running_stats=False), so the forward has no side effects.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, track_running_stats=False)
        with torch.no_grad():
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, height, width).

        Returns:
            torch.Tensor: (batch_size, out_channels, height, width).
        """
        return torch.relu(self.bn(self.conv(x)))


batch_size = 32
in_channels = 64
out_channels = 128
kernel_size = 3
height = 128
width = 128
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 17, "width": 19}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
