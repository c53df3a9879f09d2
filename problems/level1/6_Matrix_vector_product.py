import torch
import torch.nn as nn


class Model(nn.Module):
    """y = A @ x for a large matrix A (M x K) and a column vector x (K x 1), fp32; bound by reading A once."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """A: (M, K), x: (K, 1) -> (M, 1)."""
        return torch.matmul(A, x)


M = 32768
K = 16384
SMALL_SIZES = {"M": 257, "K": 1001}


def get_inputs():
    A = torch.randn(M, K)
    x = torch.randn(K, 1)
    return [A, x]


def get_init_inputs():
    return []
