import torch
import torch.nn as nn


class Model(nn.Module):
    """Elementwise degree-5 polynomial c0 + c1 x + ... + c5 x^5 with learned coefficients, evaluated by Horner's
    rule. Eager PyTorch launches one kernel per multiply and add, so the reference makes ten passes over memory
    where one fused pass suffices. Coefficients are drawn at random in __init__."""

    def __init__(self, degree: int):
        super().__init__()
        self.coeffs = nn.Parameter(torch.randn(degree + 1) * 0.5)  # coeffs[i] multiplies x**i

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: any shape -> same shape."""
        y = self.coeffs[-1] * x + self.coeffs[-2]
        for i in range(self.coeffs.numel() - 3, -1, -1):
            y = y * x + self.coeffs[i]
        return y


batch_size = 4096
dim = 49152
degree = 5
SMALL_SIZES = {"batch_size": 3, "dim": 1001}


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [degree]
