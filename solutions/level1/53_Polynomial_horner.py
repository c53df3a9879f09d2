"""Degree-5 polynomial by Horner's rule as one Triton kernel: one read and one write of x, where eager PyTorch
makes ten passes (a multiply and an add per degree). Element-wise, memory-bound: each program handles a block
of 4096 contiguous elements (16 KB), enough bytes in flight per SM to keep an H100's memory busy."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def horner_kernel(x_ptr, coeffs_ptr, y_ptr, n, DEGREE: tl.constexpr, BLOCK: tl.constexpr):
    offsets = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(coeffs_ptr + DEGREE) * x + tl.load(coeffs_ptr + DEGREE - 1)
    for i in tl.static_range(2, DEGREE + 1):  # coefficients DEGREE-2 down to 0
        y = y * x + tl.load(coeffs_ptr + DEGREE - i)
    tl.store(y_ptr + offsets, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, degree: int):
        super().__init__()
        self.coeffs = nn.Parameter(torch.randn(degree + 1) * 0.5)  # coeffs[i] multiplies x**i, as in Model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        block = 4096
        horner_kernel[(triton.cdiv(n, block),)](x, self.coeffs.detach(), y, n, DEGREE=self.coeffs.numel() - 1,
                                                BLOCK=block, num_warps=8)
        return y
