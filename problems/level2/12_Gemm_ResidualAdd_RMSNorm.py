import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Residual linear layer followed by RMSNorm: y = RMSNorm(x + x W^T + b), normalised over features.

    The RMSNorm weight is re-drawn in [0.5, 1.5) so that it is not the identity scaling.
    """

    def __init__(self, features: int, eps: float):
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.norm = nn.RMSNorm(features, eps=eps)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, features).

        Returns:
            torch.Tensor: (batch_size, features).
        """
        return self.norm(x + self.linear(x))


batch_size = 4096
features = 4096
eps = 1e-6
SMALL_SIZES = {"batch_size": 3, "features": 101}


def get_inputs():
    # rows of different overall size, so the per-row RMS differs
    return [torch.randn(batch_size, features) * (torch.rand(batch_size, 1) * 3 + 0.5)]


def get_init_inputs():
    return [features, eps]
