"""Transformer FFN sublayer, LayerNorm(x + fc2(GELU(fc1(x)))): both GEMMs on cuBLAS (at::mm, no bias),
and two own CUDA kernels for everything between and after them.

  1. bias + GELU(erf), in place on the fc1 output (eager: a bias inside addmm, then GELU read + write);
  2. one block per row: v = y + fc2.bias + x (written back in place), two-pass mean / variance,
     then (v - mean) * rstd * gamma + beta (eager: residual add read + write, then LayerNorm).
"""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

mlp_block_cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAException.h>
#include <algorithm>
#include <climits>
#include <cstdint>

__device__ __forceinline__ float gelu_erf(float v) { return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); }

// h (rows, cols) row-major, in place: h = gelu(h + bias[col]).
__global__ void bias_gelu_kernel(float* __restrict__ h, const float* __restrict__ bias, int64_t rows, int64_t cols) {
    const int64_t n = rows * cols;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride)
        h[i] = gelu_erf(h[i] + bias[i % cols]);
}

// Same, four columns at a time: cols % 4 == 0 and h, bias 16-byte aligned.
__global__ void bias_gelu_vec4_kernel(float4* __restrict__ h, const float4* __restrict__ bias,
                                      int64_t rows, int64_t cols4) {
    const int64_t n4 = rows * cols4;
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += stride) {
        float4 v = h[i];
        const float4 b = bias[i % cols4];
        v.x = gelu_erf(v.x + b.x);
        v.y = gelu_erf(v.y + b.y);
        v.z = gelu_erf(v.z + b.z);
        v.w = gelu_erf(v.w + b.w);
        h[i] = v;
    }
}

constexpr int kNormThreads = 256;  // a multiple of 32; block_sum relies on it

__device__ __forceinline__ float warp_sum(float v) {
    #pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

// Sum over the block; every thread gets the total. `scratch` holds 32 floats.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        const int warps = blockDim.x >> 5;
        v = lane < warps ? scratch[lane] : 0.0f;
        v = warp_sum(v);
        if (lane == 0) scratch[0] = v;
    }
    __syncthreads();
    const float total = scratch[0];
    __syncthreads();
    return total;
}

// One block per row of y (rows, d): v = y + bias + res is stored back into y (each thread later
// re-reads only the elements it wrote itself), then out = LayerNorm(v) * gamma + beta.
__global__ void bias_residual_layernorm_kernel(float* __restrict__ y, const float* __restrict__ bias,
                                               const float* __restrict__ res, const float* __restrict__ gamma,
                                               const float* __restrict__ beta, float* __restrict__ out,
                                               int64_t d, float eps) {
    __shared__ float scratch[32];
    const int64_t row = blockIdx.x;
    float* yr = y + row * d;
    const float* rr = res + row * d;
    float* outr = out + row * d;
    const float inv_d = 1.0f / static_cast<float>(d);

    float s = 0.0f;
    for (int64_t i = threadIdx.x; i < d; i += blockDim.x) {
        const float v = yr[i] + bias[i] + rr[i];
        yr[i] = v;
        s += v;
    }
    const float mean = block_sum(s, scratch) * inv_d;

    float sq = 0.0f;
    for (int64_t i = threadIdx.x; i < d; i += blockDim.x) {
        const float c = yr[i] - mean;
        sq += c * c;
    }
    const float var = block_sum(sq, scratch) * inv_d;
    const float rstd = 1.0f / sqrtf(var + eps);

    for (int64_t i = threadIdx.x; i < d; i += blockDim.x) outr[i] = (yr[i] - mean) * rstd * gamma[i] + beta[i];
}

static void check_param(const torch::Tensor& t, const torch::Tensor& x, const char* name) {
    TORCH_CHECK(t.is_cuda() && t.scalar_type() == torch::kFloat && t.device() == x.device(),
                "mlp_block: ", name, " must be a float32 CUDA tensor on x's device");
    TORCH_CHECK(t.is_contiguous(), "mlp_block: ", name, " must be contiguous");
}

torch::Tensor mlp_block(torch::Tensor x, torch::Tensor w1, torch::Tensor b1, torch::Tensor w2, torch::Tensor b2,
                        torch::Tensor gamma, torch::Tensor beta, double eps) {
    TORCH_CHECK(x.is_cuda() && x.scalar_type() == torch::kFloat, "mlp_block: x must be a float32 CUDA tensor");
    c10::cuda::CUDAGuard guard(x.device());
    auto w1c = w1.contiguous(), b1c = b1.contiguous(), w2c = w2.contiguous(), b2c = b2.contiguous();
    auto gc = gamma.contiguous(), bc = beta.contiguous();
    check_param(w1c, x, "fc1.weight"); check_param(b1c, x, "fc1.bias");
    check_param(w2c, x, "fc2.weight"); check_param(b2c, x, "fc2.bias");
    check_param(gc, x, "norm.weight"); check_param(bc, x, "norm.bias");
    TORCH_CHECK(x.dim() >= 1, "mlp_block: x needs a feature dimension");
    const int64_t d_model = x.size(-1);
    TORCH_CHECK(d_model > 0, "mlp_block: empty feature dimension");
    TORCH_CHECK(w1c.dim() == 2 && w1c.size(1) == d_model, "mlp_block: fc1.weight must be (d_ff, d_model)");
    const int64_t d_ff = w1c.size(0);
    TORCH_CHECK(b1c.numel() == d_ff, "mlp_block: fc1.bias must be (d_ff,)");
    TORCH_CHECK(w2c.dim() == 2 && w2c.size(0) == d_model && w2c.size(1) == d_ff,
                "mlp_block: fc2.weight must be (d_model, d_ff)");
    TORCH_CHECK(b2c.numel() == d_model && gc.numel() == d_model && bc.numel() == d_model,
                "mlp_block: fc2.bias, norm.weight, norm.bias must be (d_model,)");

    auto x2 = x.reshape({-1, d_model}).contiguous();
    TORCH_CHECK(x2.is_contiguous(), "mlp_block: contiguity");
    const int64_t rows = x2.size(0);
    auto out = torch::empty_like(x2);
    if (rows == 0) return out.reshape(x.sizes());
    TORCH_CHECK(rows <= INT_MAX, "mlp_block: too many rows for one grid");
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream();

    auto h = at::mm(x2, w1c.t()).contiguous();    // (rows, d_ff), cuBLAS, no bias
    TORCH_CHECK(h.is_contiguous(), "mlp_block: contiguity");
    if (d_ff > 0) {
        const int threads = 256;
        float* hp = h.data_ptr<float>();
        const float* b1p = b1c.data_ptr<float>();
        const bool vec4 = (d_ff % 4 == 0) && ((reinterpret_cast<uintptr_t>(hp) | reinterpret_cast<uintptr_t>(b1p)) & 15u) == 0;
        const int64_t work = vec4 ? rows * (d_ff / 4) : rows * d_ff;
        const int64_t blocks = std::min<int64_t>((work + threads - 1) / threads, (int64_t)1 << 20);
        if (vec4) {
            bias_gelu_vec4_kernel<<<(unsigned)blocks, threads, 0, stream>>>(
                reinterpret_cast<float4*>(hp), reinterpret_cast<const float4*>(b1p), rows, d_ff / 4);
        } else {
            bias_gelu_kernel<<<(unsigned)blocks, threads, 0, stream>>>(hp, b1p, rows, d_ff);
        }
        C10_CUDA_KERNEL_LAUNCH_CHECK();
    }

    auto y = at::mm(h, w2c.t()).contiguous();     // (rows, d_model), cuBLAS, no bias
    TORCH_CHECK(y.is_contiguous(), "mlp_block: contiguity");
    bias_residual_layernorm_kernel<<<(unsigned)rows, kNormThreads, 0, stream>>>(
        y.data_ptr<float>(), b2c.data_ptr<float>(), x2.data_ptr<float>(), gc.data_ptr<float>(), bc.data_ptr<float>(),
        out.data_ptr<float>(), d_model, (float)eps);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return out.reshape(x.sizes());
}
"""

mlp_block_cpp_source = ("torch::Tensor mlp_block(torch::Tensor x, torch::Tensor w1, torch::Tensor b1, torch::Tensor w2, "
                        "torch::Tensor b2, torch::Tensor gamma, torch::Tensor beta, double eps);")

mlp_block_ext = load_inline(
    name="mlp_block_fused_epilogues_cuda",
    cpp_sources=mlp_block_cpp_source,
    cuda_sources=mlp_block_cuda_source,
    functions=["mlp_block"],
    extra_cuda_cflags=["-O3"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        # Same module names as the reference, so fc1.*, fc2.*, norm.* load by name.
        self.fc1 = nn.Linear(d_model, d_ff)
        self.fc2 = nn.Linear(d_ff, d_model)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mlp_block_ext.mlp_block(x, self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias,
                                       self.norm.weight, self.norm.bias, self.norm.eps)
