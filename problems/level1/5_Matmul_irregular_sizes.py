import torch
import torch.nn as nn


class Model(nn.Module):
    """C = A @ B with sizes that are not multiples of any tile (8191 x 3071 @ 3071 x 4097), fp32: edge tiles matter."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        """A: (M, K), B: (K, N) -> (M, N)."""
        return torch.matmul(A, B)


M = 8191
K = 3071
N = 4097
SMALL_SIZES = {"M": 101, "K": 37, "N": 53}


def get_inputs():
    A = torch.randn(M, K)
    B = torch.randn(K, N)
    return [A, B]


def get_init_inputs():
    return []
