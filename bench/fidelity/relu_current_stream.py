"""Fidelity solution for the ReLU cases: the CUDA ReLU of relu.cu on the current stream."""
from pathlib import Path

import torch.nn as nn
from torch.utils.cpp_extension import load

ops = load("fidelity_relu", [str(Path(__file__).with_name("relu.cu"))])


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu(x)
