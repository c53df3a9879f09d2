import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Stride-2 3D transposed convolution (kernel 3, padding 1, output_padding 1: doubles each spatial
    dimension; no bias, BatchNorm would cancel it), BatchNorm3d in training mode, then exact GELU.

    The BatchNorm affine parameters are re-drawn so that it is not a plain standardisation.

    BatchNorm normalises with the batch statistics (training-mode behaviour) and keeps no running
    statistics (track_running_stats=False), so the forward has no side effects.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv_t = nn.ConvTranspose3d(in_channels, out_channels, 3, stride=2, padding=1,
                                         output_padding=1, bias=False)
        self.bn = nn.BatchNorm3d(out_channels, track_running_stats=False)
        with torch.no_grad():
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, depth, height, width).

        Returns:
            torch.Tensor: (batch_size, out_channels, 2 * depth, 2 * height, 2 * width).
        """
        return torch.nn.functional.gelu(self.bn(self.conv_t(x)))


batch_size = 16
in_channels = 32
out_channels = 32
depth = 16
height = 64
width = 64
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "depth": 3, "height": 5, "width": 7}


def get_inputs():
    return [torch.randn(batch_size, in_channels, depth, height, width)]


def get_init_inputs():
    return [in_channels, out_channels]
