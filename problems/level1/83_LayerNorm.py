import torch
import torch.nn as nn


class Model(nn.Module):
    """nn.LayerNorm over the last dim, with random affine parameters (the defaults 1/0 would make them no-ops).

    The input is shifted and scaled so that mean and variance both matter.
    """

    def __init__(self, hidden: int):
        super().__init__()
        self.norm = nn.LayerNorm(hidden, eps=1e-5)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


batch_size = 48
seq_len = 1024
hidden = 4096
SMALL_SIZES = {"batch_size": 3, "seq_len": 17, "hidden": 1001}


def get_inputs():
    return [torch.randn(batch_size, seq_len, hidden) * 3 + 1]


def get_init_inputs():
    return [hidden]
