import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Pre-norm transformer encoder layer (no mask, no dropout), GELU feed-forward:

        h = x + W_o MHA(LN1(x))          MHA: softmax(q k^T / sqrt(head_dim)) v over num_heads heads
        y = h + W_2 GELU(W_1 LN2(h))

    All linear layers have biases. Both LayerNorms get re-drawn affine parameters so neither is a
    plain standardisation; LN1's weight is drawn in [1.5, 3) so the attention logits have a spread
    (std) of about 2 and the softmax is not near uniform.
    """

    def __init__(self, embed_dim: int, num_heads: int, ffn_dim: int):
        super().__init__()
        self.num_heads = num_heads
        self.norm1 = nn.LayerNorm(embed_dim)
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.out = nn.Linear(embed_dim, embed_dim)
        self.norm2 = nn.LayerNorm(embed_dim)
        self.fc1 = nn.Linear(embed_dim, ffn_dim)
        self.fc2 = nn.Linear(ffn_dim, embed_dim)
        with torch.no_grad():
            self.norm1.weight.uniform_(1.5, 3.0)
            self.norm1.bias.uniform_(-0.5, 0.5)
            self.norm2.weight.uniform_(0.5, 2.0)
            self.norm2.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (batch_size, seq_len, embed_dim).

        Returns:
            torch.Tensor: same shape as x.
        """
        b, s, e = x.shape
        qkv = self.qkv(self.norm1(x)).view(b, s, 3, self.num_heads, e // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)
        a = torch.nn.functional.scaled_dot_product_attention(q, k, v)
        h = x + self.out(a.transpose(1, 2).reshape(b, s, e))
        return h + self.fc2(torch.nn.functional.gelu(self.fc1(self.norm2(h))))


batch_size = 8
seq_len = 1024
embed_dim = 1024
num_heads = 16
ffn_dim = 4096
SMALL_SIZES = {"batch_size": 3, "seq_len": 33, "embed_dim": 51, "num_heads": 3, "ffn_dim": 101}


def get_inputs():
    return [torch.randn(batch_size, seq_len, embed_dim)]


def get_init_inputs():
    return [embed_dim, num_heads, ffn_dim]
