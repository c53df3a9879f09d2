import torch
import torch.nn as nn


class Model(nn.Module):
    """Transformer feed-forward sublayer, post-norm: LayerNorm(x + fc2(GELU(fc1(x)))).

    LayerNorm's affine parameters are re-initialised randomly (the defaults 1/0 would make them no-ops).
    """

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(d_model)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.fc1(x))
        return self.norm(x + self.fc2(h))


batch_size = 8
seq_len = 1024
d_model = 1024
d_ff = 4096
SMALL_SIZES = {"batch_size": 3, "seq_len": 17, "d_model": 33, "d_ff": 101}


def get_inputs():
    return [torch.randn(batch_size, seq_len, d_model)]


def get_init_inputs():
    return [d_model, d_ff]
