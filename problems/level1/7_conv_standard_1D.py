import torch
import torch.nn as nn


class Model(nn.Module):
    """1D convolution over a long sequence, 'same' padding, with bias (nn.Conv1d, stride 1)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv1d = nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, in_channels, length) -> (batch, out_channels, length)."""
        return self.conv1d(x)


batch_size = 16
in_channels = 64
out_channels = 128
kernel_size = 7
length = 131072
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "length": 1001}


def get_inputs():
    return [torch.randn(batch_size, in_channels, length)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
