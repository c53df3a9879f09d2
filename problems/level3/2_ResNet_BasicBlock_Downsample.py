import torch
import torch.nn as nn


class Model(nn.Module):
    """
    ResNet basic block with a downsampling shortcut, BatchNorm in training mode (batch statistics):

        main  = BN(conv3x3(ReLU(BN(conv3x3_stride2(x)))))
        short = BN(conv1x1_stride2(x))
        y     = ReLU(main + short)

    Convolutions have no bias (each is followed by BatchNorm); the BatchNorm affine parameters are
    re-drawn so that none is a plain standardisation.

    BatchNorm normalises with the batch statistics (training-mode behaviour) and keeps no running
    statistics (track_running_stats=False), so the forward has no side effects.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels, track_running_stats=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels, track_running_stats=False)
        self.down_conv = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)
        self.down_bn = nn.BatchNorm2d(out_channels, track_running_stats=False)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2, self.down_bn):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_channels, height, width).

        Returns:
            torch.Tensor: (batch_size, out_channels, ceil(height / stride), ceil(width / stride)).
        """
        main = torch.relu(self.bn1(self.conv1(x)))
        main = self.bn2(self.conv2(main))
        return torch.relu(main + self.down_bn(self.down_conv(x)))


batch_size = 32
in_channels = 64
out_channels = 128
stride = 2
height = 112
width = 112
SMALL_SIZES = {"batch_size": 3, "in_channels": 5, "out_channels": 7, "height": 17, "width": 13}


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, stride]
