import torch
import torch.nn as nn


class Model(nn.Module):
    """Linear (with bias) -> GELU (exact, erf form) -> multiply by a constant scale."""

    def __init__(self, in_features: int, out_features: int, scale: float):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        with torch.no_grad():
            self.linear.bias.uniform_(-1.0, 1.0)  # a bias large enough to move the GELU's operating point
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(x)
        x = torch.nn.functional.gelu(x)
        return x * self.scale


batch_size = 16384
in_features = 1024
out_features = 4096
scale = 1.7
SMALL_SIZES = {"batch_size": 17, "in_features": 33, "out_features": 101}


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features, scale]
