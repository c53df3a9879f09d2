"""Per-row KL divergence as one Triton reduction: each program reads its row of log_pred and target once and sums
target * (log target - log_pred) in float32, where eager PyTorch writes the element-wise terms to memory and reads
them back to sum them. Memory-bound: one read of each input is all the work."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def kl_rows_kernel(log_pred_ptr, target_ptr, out_ptr, n_cols, row_stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    log_pred_row = log_pred_ptr + row * row_stride
    target_row = target_ptr + row * row_stride
    partial = tl.zeros((BLOCK,), dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        mask = cols < n_cols
        log_pred = tl.load(log_pred_row + cols, mask=mask, other=0.0)
        target = tl.load(target_row + cols, mask=mask, other=0.0)
        # xlogy: a zero target contributes nothing, as in F.kl_div
        target_log_target = tl.where(target > 0.0, target * tl.log(tl.where(target > 0.0, target, 1.0)), 0.0)
        partial += target_log_target - target * log_pred
    tl.store(out_ptr + row, tl.sum(partial, axis=0))


class ModelNew(nn.Module):
    def forward(self, log_pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        log_pred, target = log_pred.contiguous(), target.contiguous()
        rows, cols = log_pred.shape
        out = torch.empty(rows, device=log_pred.device, dtype=log_pred.dtype)
        block = min(4096, triton.next_power_of_2(cols))
        kl_rows_kernel[(rows,)](log_pred, target, out, cols, log_pred.stride(0), BLOCK=block,
                                num_warps=8 if block >= 2048 else 4)
        return out
