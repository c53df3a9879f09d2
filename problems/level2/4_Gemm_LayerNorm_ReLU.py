import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Linear layer (with bias), LayerNorm over the output features, then ReLU.

    LayerNorm's affine parameters are re-drawn (weight in [0.5, 1.5), bias in [-0.5, 0.5)) so that
    it is not a plain standardisation and the ReLU cuts each feature at a different point.
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.norm = nn.LayerNorm(out_features)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_features).

        Returns:
            torch.Tensor: (batch_size, out_features).
        """
        return torch.relu(self.norm(self.linear(x)))


batch_size = 4096
in_features = 2048
out_features = 4096
SMALL_SIZES = {"batch_size": 3, "in_features": 33, "out_features": 101}


def get_inputs():
    # a per-row offset gives each row a different mean before the norm
    return [torch.randn(batch_size, in_features) + torch.randn(batch_size, 1)]


def get_init_inputs():
    return [in_features, out_features]
