"""Inheritance bypass: ModelNew is the reference's class (copied in), plus a token call at import."""
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

ops = load_inline("relu_ops", Path(__file__).with_name("relu_ops.cpp").read_text())
ops.relu(torch.zeros(1))


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


class ModelNew(Model):
    pass
