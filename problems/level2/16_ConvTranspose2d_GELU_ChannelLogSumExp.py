import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Stride-2 transposed convolution (kernel 3, padding 1, output_padding 1: doubles height and width,
    with bias), exact GELU, then logsumexp over the channel dimension.

    Each input pixel has its own amplitude, drawn in [0, 16), so the logsumexp ranges from about
    log(out_channels) in quiet regions to the largest channels (several units) in loud ones,
    instead of sitting near one common value everywhere.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv_t = nn.ConvTranspose2d(in_channels, out_channels, 3, stride=2, padding=1, output_padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, height, width).

        Returns:
            torch.Tensor: (batch_size, 2 * height, 2 * width).
        """
        return torch.logsumexp(torch.nn.functional.gelu(self.conv_t(x)), dim=1)


batch_size = 32
in_channels = 64
out_channels = 64
height = 128
width = 128
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 9, "width": 11}


def get_inputs():
    amplitude = torch.rand(batch_size, 1, height, width) * 16
    return [torch.randn(batch_size, in_channels, height, width) * amplitude]


def get_init_inputs():
    return [in_channels, out_channels]
