import torch
import torch.nn as nn


class Model(nn.Module):
    """Batched matrix product: C[b] = A[b] @ B[b] for a batch of independent (M x K) @ (K x N) products, fp32."""

    def __init__(self):
        super().__init__()

    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        """A: (batch, M, K), B: (batch, K, N) -> (batch, M, N)."""
        return torch.bmm(A, B)


batch_size = 128
M = 512
K = 1024
N = 768
SMALL_SIZES = {"batch_size": 3, "M": 17, "K": 33, "N": 19}


def get_inputs():
    A = torch.randn(batch_size, M, K)
    B = torch.randn(batch_size, K, N)
    return [A, B]


def get_init_inputs():
    return []
