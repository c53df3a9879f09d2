"""Timing-fidelity case, launch-bound: a ReLU over 64K floats (~10 µs a call, mostly launch and sync)."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


n = 1 << 16


def get_inputs():
    return [torch.randn(n)]


def get_init_inputs():
    return []
