import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Depthwise 3x3 convolution (padding 1, groups = channels, no bias: BatchNorm would cancel it),
    BatchNorm2d in training mode, then ReLU6.

    BatchNorm's affine parameters are re-drawn (weight in [1, 4), bias in [-1, 2)) so that both the
    lower and the upper bound of ReLU6 are active on part of every channel.

    BatchNorm normalises with the batch statistics (training-mode behaviour) and keeps no running
    statistics (track_running_stats=False), so the forward has no side effects.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False)
        self.bn = nn.BatchNorm2d(channels, track_running_stats=False)
        with torch.no_grad():
            self.bn.weight.uniform_(1.0, 4.0)
            self.bn.bias.uniform_(-1.0, 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, channels, height, width).

        Returns:
            torch.Tensor: same shape as x.
        """
        return torch.nn.functional.relu6(self.bn(self.conv(x)))


batch_size = 48
channels = 256
height = 128
width = 128
SMALL_SIZES = {"batch_size": 3, "channels": 7, "height": 17, "width": 13}


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [channels]
