"""Allocator aliasing: returns uninitialised memory, hoping it is the freed block of the reference's output."""
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load

ops = load("adv_relu_cuda", [str(Path(__file__).with_name("relu_kernel.cu"))])


class ModelNew(nn.Module):
    def forward(self, x):
        ops.relu(x[:1])
        return torch.empty_like(x)
