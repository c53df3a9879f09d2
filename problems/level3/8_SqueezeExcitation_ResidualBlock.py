import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Residual block with squeeze-and-excitation (SE-ResNet style), BatchNorm in training mode:

        h = BN2(conv3x3(ReLU(BN1(conv3x3(x)))))
        s = sigmoid(W_2 ReLU(W_1 mean_{H,W}(h) + b_1) + b_2)       channels -> channels/reduction -> channels
        y = ReLU(x + h * s)

    Convolutions have no bias (each is followed by BatchNorm); BN affine parameters are re-drawn,
    and the excitation weights are drawn with std 2 / sqrt(fan_in) so the gates spread over most of
    (0, 1) instead of all sitting near 0.5.
    Each (sample, channel) of the input carries its own offset and scale, so the squeezed means and
    hence the excitation gates differ between samples.

    BatchNorm normalises with the batch statistics (training-mode behaviour) and keeps no running
    statistics (track_running_stats=False), so the forward has no side effects.
    """

    def __init__(self, channels: int, reduction: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels, track_running_stats=False)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels, track_running_stats=False)
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2):
                bn.weight.uniform_(0.5, 1.5)
                bn.bias.uniform_(-0.5, 0.5)
            for fc in (self.fc1, self.fc2):
                fc.weight.normal_(0.0, 2.0 / fc.in_features ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, channels, height, width).

        Returns:
            torch.Tensor: same shape as x.
        """
        h = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(h.mean(dim=(2, 3))))))
        return torch.relu(x + h * s[:, :, None, None])


batch_size = 32
channels = 128
reduction = 16
height = 56
width = 56
SMALL_SIZES = {"batch_size": 3, "channels": 15, "reduction": 5, "height": 17, "width": 13}


def get_inputs():
    shift = torch.randn(batch_size, channels, 1, 1)
    spread = torch.rand(batch_size, channels, 1, 1) * 2 + 0.5
    return [torch.randn(batch_size, channels, height, width) * spread + shift]


def get_init_inputs():
    return [channels, reduction]
