import torch
import torch.nn as nn


class Model(nn.Module):
    """
    1D convolution (kernel 5, no padding, with bias), Mish, then the mean over the length dimension.

    Each (sample, channel) of the input carries its own offset, so the per-sample means differ
    substantially instead of all converging to the same per-channel expectation.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, length).

        Returns:
            torch.Tensor: (batch_size, out_channels).
        """
        return torch.nn.functional.mish(self.conv(x)).mean(dim=2)


batch_size = 64
in_channels = 128
out_channels = 256
kernel_size = 5
length = 4096
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "length": 33}


def get_inputs():
    return [torch.randn(batch_size, in_channels, length) + 2 * torch.randn(batch_size, in_channels, 1)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
