"""Fidelity case: the same CUDA ReLU, launched on a side stream (its time must still be counted)."""
from pathlib import Path

import torch.nn as nn
from torch.utils.cpp_extension import load

ops = load("fidelity_relu", [str(Path(__file__).with_name("relu.cu"))])


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu_side_stream(x)
