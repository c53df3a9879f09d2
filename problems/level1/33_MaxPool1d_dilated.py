import torch
import torch.nn as nn


class Model(nn.Module):
    """1D max pooling with a dilated window: kernel 7, dilation 2 (span 13), stride 3, padding 3."""

    def __init__(self, kernel_size: int, stride: int, padding: int, dilation: int):
        super().__init__()
        self.pool = nn.MaxPool1d(kernel_size, stride=stride, padding=padding, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, channels, L) -> (batch, channels, (L + 2*3 - 2*6 - 1) // 3 + 1)."""
        return self.pool(x)


batch_size = 48
channels = 64
length = 131072
kernel_size = 7
stride = 3
padding = 3
dilation = 2
SMALL_SIZES = {"batch_size": 3, "channels": 5, "length": 1001}


def get_inputs():
    return [torch.randn(batch_size, channels, length)]


def get_init_inputs():
    return [kernel_size, stride, padding, dilation]
