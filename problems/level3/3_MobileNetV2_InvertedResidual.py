import torch
import torch.nn as nn


class Model(nn.Module):
    """
    MobileNetV2 inverted residual block (stride 1, so with the identity skip), BatchNorm in training
    mode:

        h = ReLU6(BN(conv1x1_expand(x)))            channels -> channels * expand_ratio
        h = ReLU6(BN(depthwise_conv3x3(h)))         groups = channels * expand_ratio
        y = x + BN(conv1x1_project(h))               back to channels

    Convolutions have no bias (each is followed by BatchNorm). The BatchNorm affine parameters are
    re-drawn (weights in [1, 3) for the ReLU6 layers so that the upper clip at 6 is reached too).

    BatchNorm normalises with the batch statistics (training-mode behaviour) and keeps no running
    statistics (track_running_stats=False), so the forward has no side effects.
    """

    def __init__(self, channels: int, expand_ratio: int):
        super().__init__()
        hidden = channels * expand_ratio
        self.expand = nn.Conv2d(channels, hidden, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(hidden, track_running_stats=False)
        self.depthwise = nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden, bias=False)
        self.bn2 = nn.BatchNorm2d(hidden, track_running_stats=False)
        self.project = nn.Conv2d(hidden, channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels, track_running_stats=False)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2):
                bn.weight.uniform_(1.0, 3.0)
                bn.bias.uniform_(-0.5, 1.5)
            self.bn3.weight.uniform_(0.5, 1.5)
            self.bn3.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, channels, height, width).

        Returns:
            torch.Tensor: same shape as x.
        """
        h = torch.nn.functional.relu6(self.bn1(self.expand(x)))
        h = torch.nn.functional.relu6(self.bn2(self.depthwise(h)))
        return x + self.bn3(self.project(h))


batch_size = 64
channels = 32
expand_ratio = 6
height = 112
width = 112
SMALL_SIZES = {"batch_size": 3, "channels": 5, "expand_ratio": 3, "height": 17, "width": 13}


def get_inputs():
    return [torch.randn(batch_size, channels, height, width)]


def get_init_inputs():
    return [channels, expand_ratio]
