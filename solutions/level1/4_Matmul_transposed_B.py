"""C = A @ B^T as an autotuned Triton matmul. B is stored (N, K), so both operands' tiles are K-contiguous, the
layout the tensor cores take TF32 in. Each product runs as three TF32 products ("tf32x3": high parts and remainders,
the remainders' product dropped), float32's accuracy at several times the speed of float32 on CUDA cores.

The autotuner tries six tile shapes and pipeline depths on the first call at each (M, N, K): on a GPU the grader's
build step compiles all six ahead, and the solution's first checked call benchmarks them, before any timing."""
import torch
import torch.nn as nn
import triton
import triton.language as tl

CONFIGS = [
    triton.Config({"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 32}, num_warps=8, num_stages=3),
    triton.Config({"BLOCK_M": 128, "BLOCK_N": 256, "BLOCK_K": 32}, num_warps=8, num_stages=3),
    triton.Config({"BLOCK_M": 256, "BLOCK_N": 128, "BLOCK_K": 32}, num_warps=8, num_stages=3),
    triton.Config({"BLOCK_M": 128, "BLOCK_N": 64, "BLOCK_K": 32}, num_warps=4, num_stages=4),
    triton.Config({"BLOCK_M": 64, "BLOCK_N": 128, "BLOCK_K": 32}, num_warps=4, num_stages=4),
    triton.Config({"BLOCK_M": 128, "BLOCK_N": 128, "BLOCK_K": 64}, num_warps=8, num_stages=2),
]


@triton.autotune(configs=CONFIGS, key=["M", "N", "K"])
@triton.jit
def matmul_bt_kernel(a_ptr, b_ptr, c_ptr, M, N, K, stride_am, stride_bn, stride_cm,
                     BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr):
    pid = tl.program_id(0)
    tiles_m, tiles_n = tl.cdiv(M, BLOCK_M), tl.cdiv(N, BLOCK_N)
    group_size = 8 * tiles_n  # 8 row-tiles share each column-tile of B in L2
    first_m = (pid // group_size) * 8
    group_rows = tl.minimum(tiles_m - first_m, 8)
    tile_m = first_m + (pid % group_size) % group_rows
    tile_n = (pid % group_size) // group_rows

    rows = tile_m * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = tile_n * BLOCK_N + tl.arange(0, BLOCK_N)
    ks = tl.arange(0, BLOCK_K)
    a_tile = a_ptr + rows[:, None].to(tl.int64) * stride_am + ks[None, :]
    b_tile = b_ptr + cols[None, :].to(tl.int64) * stride_bn + ks[:, None]
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a = tl.load(a_tile, mask=(rows[:, None] < M) & (ks[None, :] < k_left), other=0.0)
        b = tl.load(b_tile, mask=(cols[None, :] < N) & (ks[:, None] < k_left), other=0.0)
        acc = tl.dot(a, b, acc, input_precision="tf32x3")
        a_tile += BLOCK_K
        b_tile += BLOCK_K
    tl.store(c_ptr + rows[:, None].to(tl.int64) * stride_cm + cols[None, :], acc,
             mask=(rows[:, None] < M) & (cols[None, :] < N))


class ModelNew(nn.Module):
    def forward(self, A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
        A, B = A.contiguous(), B.contiguous()
        (m, k), n = A.shape, B.shape[0]
        c = torch.empty((m, n), device=A.device, dtype=A.dtype)
        grid = lambda meta: (triton.cdiv(m, meta["BLOCK_M"]) * triton.cdiv(n, meta["BLOCK_N"]),)  # noqa: E731
        matmul_bt_kernel[grid](A, B, c, m, n, k, A.stride(0), B.stride(0), c.stride(0))
        return c
