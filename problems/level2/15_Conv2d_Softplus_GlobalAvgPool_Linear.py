import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Classifier head: 3x3 convolution (padding 1, with bias), softplus, global average pooling over
    height and width, then a linear layer to num_classes logits.

    Each (sample, channel) of the input has its own offset and scale, so the pooled features differ
    between samples instead of all converging to the same per-channel expectation.
    """

    def __init__(self, in_channels: int, out_channels: int, num_classes: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.fc = nn.Linear(out_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, height, width).

        Returns:
            torch.Tensor: (batch_size, num_classes).
        """
        y = torch.nn.functional.softplus(self.conv(x)).mean(dim=(2, 3))
        return self.fc(y)


batch_size = 32
in_channels = 64
out_channels = 128
height = 128
width = 128
num_classes = 1000
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 17, "width": 13,
               "num_classes": 11}


def get_inputs():
    shift = torch.randn(batch_size, in_channels, 1, 1)
    spread = torch.rand(batch_size, in_channels, 1, 1) * 2 + 0.5
    return [torch.randn(batch_size, in_channels, height, width) * spread + shift]


def get_init_inputs():
    return [in_channels, out_channels, num_classes]
