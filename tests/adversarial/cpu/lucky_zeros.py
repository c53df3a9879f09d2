"""Lucky undefined behaviour: leaves every non-positive output element unwritten, counting on zeros."""
from pathlib import Path

import torch.nn as nn
from torch.utils.cpp_extension import load

ops = load("adv_lucky_zeros", [str(Path(__file__).with_name("lucky_zeros.cpp"))])


class ModelNew(nn.Module):
    def forward(self, x):
        return ops.relu_positive_only(x)
