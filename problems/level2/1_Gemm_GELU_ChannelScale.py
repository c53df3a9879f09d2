import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Linear layer (with bias), exact GELU, then a learned per-feature scale: y = GELU(x W^T + b) * s.

    The scale s is drawn in [0.5, 1.5) so that every output feature is weighted differently.
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.scale = nn.Parameter(torch.rand(out_features) + 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, in_features).

        Returns:
            torch.Tensor: (batch_size, out_features).
        """
        return torch.nn.functional.gelu(self.linear(x)) * self.scale


batch_size = 4096
in_features = 4096
out_features = 4096
SMALL_SIZES = {"batch_size": 3, "in_features": 33, "out_features": 101}


def get_inputs():
    # std ~2 inputs give pre-activations of std ~1.2, so GELU works on both sides of zero
    return [torch.randn(batch_size, in_features) * 2]


def get_init_inputs():
    return [in_features, out_features]
