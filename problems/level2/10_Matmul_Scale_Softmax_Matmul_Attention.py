import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Plain scaled dot-product attention written out: softmax(Q K^T / sqrt(d)) V over (batch, heads).

    No mask, no dropout. Q is drawn with std 2 so the attention logits have std ~2 and each row of
    the softmax is dominated by a minority of keys rather than being near uniform.
    """

    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """
        Args:
            q, k, v (torch.Tensor): (batch_size, num_heads, seq_len, head_dim).

        Returns:
            torch.Tensor: (batch_size, num_heads, seq_len, head_dim).
        """
        scores = torch.matmul(q, k.transpose(-2, -1)) * (q.shape[-1] ** -0.5)
        return torch.matmul(torch.softmax(scores, dim=-1), v)


batch_size = 16
num_heads = 16
seq_len = 1024
head_dim = 64
SMALL_SIZES = {"batch_size": 3, "num_heads": 5, "seq_len": 33, "head_dim": 17}


def get_inputs():
    shape = (batch_size, num_heads, seq_len, head_dim)
    return [torch.randn(shape) * 2, torch.randn(shape), torch.randn(shape)]


def get_init_inputs():
    return []
