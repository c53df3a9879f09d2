import torch
import torch.nn as nn


class Model(nn.Module):
    """C = A @ B for a tall rectangular A (M x K) and a wide B (K x N), M >> K, fp32."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        """A: (M, K), B: (K, N) -> (M, N)."""
        return torch.matmul(A, B)


M = 16384
K = 1024
N = 4096
SMALL_SIZES = {"M": 257, "K": 101, "N": 33}


def get_inputs():
    A = torch.randn(M, K)
    B = torch.randn(K, N)
    return [A, B]


def get_init_inputs():
    return []
