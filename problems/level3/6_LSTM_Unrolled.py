import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Single-layer LSTM unrolled over the sequence, the cell written out with two linear layers:

        i, f, g, o = split(x_t W_x^T + b + h W_h^T)      (four chunks of hidden_size)
        c = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h = sigmoid(o) * tanh(c)

    Returns the hidden state of every step, stacked: (seq_len, batch_size, hidden_size). The initial
    states h0, c0 are inputs; c0 is drawn with std 2 so the cell state carries information.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.x2g = nn.Linear(input_size, 4 * hidden_size)
        self.h2g = nn.Linear(hidden_size, 4 * hidden_size, bias=False)

    def forward(self, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): (seq_len, batch_size, input_size).
            h0, c0 (torch.Tensor): (batch_size, hidden_size).

        Returns:
            torch.Tensor: (seq_len, batch_size, hidden_size).
        """
        h, c = h0, c0
        outputs = []
        for t in range(x.shape[0]):
            i, f, g, o = (self.x2g(x[t]) + self.h2g(h)).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs)


seq_len = 16
batch_size = 1024
input_size = 1024
hidden_size = 1024
SMALL_SIZES = {"seq_len": 5, "batch_size": 3, "input_size": 33, "hidden_size": 51}


def get_inputs():
    x = torch.randn(seq_len, batch_size, input_size) * 2
    h0 = torch.randn(batch_size, hidden_size) * 0.5
    c0 = torch.randn(batch_size, hidden_size) * 2
    return [x, h0, c0]


def get_init_inputs():
    return [input_size, hidden_size]
