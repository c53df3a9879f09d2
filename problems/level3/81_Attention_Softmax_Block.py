import math

import torch
import torch.nn as nn


class Model(nn.Module):
    """Causal scaled dot-product attention, spelled out: softmax(mask(Q K^T * scale)) V, per batch and head.

    Q and K are drawn with standard deviation 2 so the attention weights are peaked, not flat.
    The causal mask is a non-persistent buffer sized for max_seq_len (not a weight).
    """

    def __init__(self, head_dim: int, max_seq_len: int):
        super().__init__()
        self.scale = 1.0 / math.sqrt(head_dim)
        mask = torch.triu(torch.ones(max_seq_len, max_seq_len, dtype=torch.bool), diagonal=1)
        self.register_buffer("causal_mask", mask, persistent=False)

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        seq = q.shape[-2]
        scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        scores = scores.masked_fill(self.causal_mask[:seq, :seq], float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.matmul(weights, v)


batch_size = 8
num_heads = 16
seq_len = 1024
head_dim = 64
SMALL_SIZES = {"batch_size": 3, "num_heads": 5, "seq_len": 33, "head_dim": 17}


def get_inputs():
    shape = (batch_size, num_heads, seq_len, head_dim)
    return [torch.randn(*shape) * 2, torch.randn(*shape) * 2, torch.randn(*shape)]


def get_init_inputs():
    return [head_dim, seq_len]
