import torch
import torch.nn as nn


class Model(nn.Module):
    """C = A @ B^T where B is stored as (N, K), as in a linear layer's weight, fp32."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        """A: (M, K), B: (N, K) -> (M, N)."""
        return torch.matmul(A, B.T)


M = 8192
K = 4096
N = 2048
SMALL_SIZES = {"M": 101, "K": 257, "N": 33}


def get_inputs():
    A = torch.randn(M, K)
    B = torch.randn(N, K)
    return [A, B]


def get_init_inputs():
    return []
