import torch
import torch.nn as nn


class Model(nn.Module):
    """Transposed 1D convolution: kernel 5, stride 2, padding 2, output_padding 1 (exactly doubles the length)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int):
        super().__init__()
        self.conv_transpose1d = nn.ConvTranspose1d(in_channels, out_channels, kernel_size, stride=stride,
                                                   padding=kernel_size // 2, output_padding=stride - 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, in_channels, L) -> (batch, out_channels, 2L)."""
        return self.conv_transpose1d(x)


batch_size = 16
in_channels = 128
out_channels = 64
kernel_size = 5
stride = 2
length = 32768
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "length": 101}


def get_inputs():
    return [torch.randn(batch_size, in_channels, length)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size, stride]
