import torch
import torch.nn as nn


class Model(nn.Module):
    """RMSNorm over the last dim, written in eager ops: x / sqrt(mean(x^2, -1) + eps) * weight.

    The weight is re-initialised randomly (ones would make it a no-op) and the input is shifted and
    scaled so that the per-row RMS differs clearly from 1.
    """

    def __init__(self, hidden: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.empty(hidden))
        with torch.no_grad():
            self.weight.uniform_(0.5, 1.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps)
        return x / rms * self.weight


batch_size = 48
seq_len = 1024
hidden = 4096
SMALL_SIZES = {"batch_size": 3, "seq_len": 17, "hidden": 1001}


def get_inputs():
    return [torch.randn(batch_size, seq_len, hidden) * 3 + 1]


def get_init_inputs():
    return [hidden]
