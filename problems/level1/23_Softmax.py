import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Applies softmax along the feature dimension.
    """

    def __init__(self):
        super(Model, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Args:
            x (torch.Tensor): Input tensor of shape (batch_size, num_features).

        Returns:
            torch.Tensor: Softmax over dim 1, same shape as the input.
        """
        return torch.softmax(x, dim=1)


batch_size = 4096
dim = 65536  # 1 GiB in and 1 GiB out: about 0.8 ms of HBM traffic on an H100
SMALL_SIZES = {"batch_size": 3, "dim": 1001}


def get_inputs():
    x = torch.randn(batch_size, dim) * 4  # wide enough that the largest terms dominate each row
    return [x]


def get_init_inputs():
    return []  # No special initialization inputs needed
