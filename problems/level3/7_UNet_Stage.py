import torch
import torch.nn as nn


class DoubleConv(nn.Module):
    """(conv3x3 -> BatchNorm (batch statistics) -> ReLU) twice; convs without bias, BN affine re-drawn."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels, track_running_stats=False),
            nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels, track_running_stats=False),
            nn.ReLU(),
        )
        with torch.no_grad():
            for m in self.body:
                if isinstance(m, nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class Model(nn.Module):
    """
    One level of a UNet, with a 1x1 output head:

        e = DoubleConv(x)                          in_channels -> features, full resolution
        m = DoubleConv(MaxPool2x2(e))              features -> 2 * features, half resolution
        u = ConvTranspose2x2_stride2(m)            2 * features -> features, back to full resolution
        y = conv1x1(DoubleConv(concat[e, u]))      2 * features -> features -> out_channels

    Height and width must be even (the pooled map is upsampled back onto the skip connection).

    BatchNorm normalises with the batch statistics (training-mode behaviour) and keeps no running
    statistics (track_running_stats=False), so the forward has no side effects.
    """

    def __init__(self, in_channels: int, features: int, out_channels: int):
        super().__init__()
        self.enc = DoubleConv(in_channels, features)
        self.pool = nn.MaxPool2d(2)
        self.mid = DoubleConv(features, 2 * features)
        self.up = nn.ConvTranspose2d(2 * features, features, 2, stride=2)
        self.dec = DoubleConv(2 * features, features)
        self.head = nn.Conv2d(features, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, height, width), height and width even.

        Returns:
            torch.Tensor: (batch_size, out_channels, height, width).
        """
        e = self.enc(x)
        u = self.up(self.mid(self.pool(e)))
        return self.head(self.dec(torch.cat([e, u], dim=1)))


batch_size = 4
in_channels = 32
features = 64
out_channels = 16
height = 256
width = 256
# even spatial sizes are required (pool then upsample onto the skip); 18 and 22 are not multiples of 8
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "features": 7, "out_channels": 3, "height": 18, "width": 22}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, features, out_channels]
