"""Input mutation: computes in place and returns its input."""
from pathlib import Path

import torch.nn as nn
from torch.utils.cpp_extension import load_inline

ops = load_inline("relu_ops", Path(__file__).with_name("relu_ops.cpp").read_text())


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu_inplace(x)
