"""Global flag mutation: cudnn.benchmark switched on at import (autotuned convolutions for everyone)."""
from pathlib import Path

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load

torch.backends.cudnn.benchmark = True
ops = load("adv_relu_cuda", [str(Path(__file__).with_name("relu_kernel.cu"))])


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu(x)
