"""Timing-fidelity case, memory-bound: a ReLU over 128M floats (~0.4 ms: 1 GiB moved; a copy of known size)."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


n = 1 << 27


def get_inputs():
    return [torch.randn(n)]


def get_init_inputs():
    return []
