"""Ghost kernel: compiles a kernel and never launches it."""
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

ops = load_inline("relu_ops", Path(__file__).with_name("relu_ops.cpp").read_text())


class ModelNew(nn.Module):
    def forward(self, x):
        if x.dim() > 8:  # never true
            return ops.relu(x)
        return torch.relu(x)
