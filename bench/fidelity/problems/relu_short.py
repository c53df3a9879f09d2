"""Timing-fidelity case, short and memory-bound: a ReLU over 16M floats (~50 µs: 128 MB moved)."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


n = 1 << 24


def get_inputs():
    return [torch.randn(n)]


def get_init_inputs():
    return []
