import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Linear layer (with bias), GroupNorm over groups of output features, then hardtanh to [-1.5, 1.5].

    GroupNorm's affine parameters are re-drawn (weight in [0.5, 2), bias in [-0.5, 0.5)) so the
    hardtanh clips a different share of each feature.
    """

    def __init__(self, in_features: int, out_features: int, num_groups: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.norm = nn.GroupNorm(num_groups, out_features)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 2.0)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_features).

        Returns:
            torch.Tensor: (batch_size, out_features).
        """
        return torch.nn.functional.hardtanh(self.norm(self.linear(x)), -1.5, 1.5)


batch_size = 8192
in_features = 1024
out_features = 2048
num_groups = 16
SMALL_SIZES = {"batch_size": 3, "in_features": 33, "out_features": 105, "num_groups": 7}


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features, num_groups]
