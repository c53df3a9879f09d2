import torch
import torch.nn as nn


class Model(nn.Module):
    """C = A^T @ B where A is stored as (K, M): the left operand is read transposed (column-major), fp32."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        """A: (K, M), B: (K, N) -> (M, N)."""
        return torch.matmul(A.T, B)


M = 4096
K = 8192
N = 2048
SMALL_SIZES = {"M": 101, "K": 257, "N": 33}


def get_inputs():
    A = torch.randn(K, M)
    B = torch.randn(K, N)
    return [A, B]


def get_init_inputs():
    return []
