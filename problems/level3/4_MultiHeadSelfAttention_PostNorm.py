import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Multi-head self-attention sublayer with a residual connection and post-LayerNorm (no mask, no
    dropout):

        q, k, v = split(x W_qkv^T + b_qkv) into num_heads heads of size embed_dim / num_heads
        a = softmax(q k^T / sqrt(head_dim)) v, heads concatenated
        y = LayerNorm(x + a W_o^T + b_o)

    The LayerNorm affine parameters are re-drawn so it is not a plain standardisation. The input is
    scaled by 3 so the attention logits have a spread (std) of about 3 and the softmax is far from
    uniform.
    """

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.out = nn.Linear(embed_dim, embed_dim)
        self.norm = nn.LayerNorm(embed_dim)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, seq_len, embed_dim).

        Returns:
            torch.Tensor: same shape as x.
        """
        b, s, e = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, self.num_heads, e // self.num_heads).permute(2, 0, 3, 1, 4)
        a = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        a = a.transpose(1, 2).reshape(b, s, e)
        return self.norm(x + self.out(a))


batch_size = 16
seq_len = 1024
embed_dim = 1024
num_heads = 16
SMALL_SIZES = {"batch_size": 3, "seq_len": 33, "embed_dim": 51, "num_heads": 3}


def get_inputs():
    return [torch.randn(batch_size, seq_len, embed_dim) * 3]


def get_init_inputs():
    return [embed_dim, num_heads]
