"""LayerNorm over the last dim in one CUDA kernel: one block per row, two-pass statistics.

Pass 1 sums the row (mean), pass 2 sums (x - mean)^2 (biased variance, no cancellation), pass 3
writes (x - mean) * rstd * weight + bias. Only pass 1 reads the row from DRAM; passes 2 and 3 find
it in L1/L2 (a 16 KB row per block). PyTorch's own LayerNorm is already one fused kernel, so expect
parity with it rather than a large win.
"""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

layernorm_cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAException.h>
#include <climits>
#include <cstdint>

constexpr int kThreads = 256;  // a multiple of 32; block_sum relies on it

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

template <bool kVec4>
__global__ void layernorm_rows_kernel(const float* __restrict__ x, const float* __restrict__ weight,
                                      const float* __restrict__ bias, float* __restrict__ out,
                                      int64_t hidden, float eps) {
    __shared__ float scratch[32];
    const int64_t row = blockIdx.x;
    const float* xr = x + row * hidden;
    float* outr = out + row * hidden;
    const float inv_n = 1.0f / static_cast<float>(hidden);
    const int64_t n4 = hidden >> 2;
    const float4* x4 = reinterpret_cast<const float4*>(xr);

    float s = 0.0f;
    if (kVec4) {
        for (int64_t i = threadIdx.x; i < n4; i += blockDim.x) {
            const float4 v = x4[i];
            s += (v.x + v.y) + (v.z + v.w);
        }
    } else {
        for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) s += xr[i];
    }
    const float mean = block_sum(s, scratch) * inv_n;

    float sq = 0.0f;
    if (kVec4) {
        for (int64_t i = threadIdx.x; i < n4; i += blockDim.x) {
            const float4 v = x4[i];
            const float a = v.x - mean, b = v.y - mean, c = v.z - mean, d = v.w - mean;
            sq += (a * a + b * b) + (c * c + d * d);
        }
    } else {
        for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) {
            const float d = xr[i] - mean;
            sq += d * d;
        }
    }
    const float var = block_sum(sq, scratch) * inv_n;
    const float rstd = 1.0f / sqrtf(var + eps);

    if (kVec4) {
        const float4* w4 = reinterpret_cast<const float4*>(weight);
        const float4* b4 = reinterpret_cast<const float4*>(bias);
        float4* o4 = reinterpret_cast<float4*>(outr);
        for (int64_t i = threadIdx.x; i < n4; i += blockDim.x) {
            const float4 v = x4[i], w = w4[i], b = b4[i];
            o4[i] = make_float4((v.x - mean) * rstd * w.x + b.x, (v.y - mean) * rstd * w.y + b.y,
                                (v.z - mean) * rstd * w.z + b.z, (v.w - mean) * rstd * w.w + b.w);
        }
    } else {
        for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x)
            outr[i] = (xr[i] - mean) * rstd * weight[i] + bias[i];
    }
}

static bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

torch::Tensor layernorm_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda() && bias.is_cuda(), "layernorm_forward: expected CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat &&
                bias.scalar_type() == torch::kFloat, "layernorm_forward: expected float32 tensors");
    TORCH_CHECK(x.dim() >= 1, "layernorm_forward: expected at least one dimension");
    TORCH_CHECK(x.device() == weight.device() && x.device() == bias.device(),
                "layernorm_forward: tensors on different devices");
    const int64_t hidden = x.size(-1);
    TORCH_CHECK(hidden > 0, "layernorm_forward: empty last dimension");
    TORCH_CHECK(weight.numel() == hidden && bias.numel() == hidden,
                "layernorm_forward: weight and bias must have `hidden` elements");
    c10::cuda::CUDAGuard guard(x.device());
    auto xc = x.contiguous();
    auto wc = weight.contiguous();
    auto bc = bias.contiguous();
    TORCH_CHECK(xc.is_contiguous() && wc.is_contiguous() && bc.is_contiguous(), "layernorm_forward: contiguity");
    auto out = torch::empty_like(xc);
    const int64_t rows = xc.numel() / hidden;
    if (rows == 0) return out;
    TORCH_CHECK(rows <= INT_MAX, "layernorm_forward: too many rows for one grid");
    const float* xp = xc.data_ptr<float>();
    const float* wp = wc.data_ptr<float>();
    const float* bp = bc.data_ptr<float>();
    float* op = out.data_ptr<float>();
    const bool vec4 = (hidden % 4 == 0) && aligned16(xp) && aligned16(wp) && aligned16(bp) && aligned16(op);
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    if (vec4) {
        layernorm_rows_kernel<true><<<(unsigned)rows, kThreads, 0, stream>>>(xp, wp, bp, op, hidden, (float)eps);
    } else {
        layernorm_rows_kernel<false><<<(unsigned)rows, kThreads, 0, stream>>>(xp, wp, bp, op, hidden, (float)eps);
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return out;
}
"""

layernorm_cpp_source = "torch::Tensor layernorm_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps);"

layernorm_ext = load_inline(
    name="layernorm_rows_cuda",
    cpp_sources=layernorm_cpp_source,
    cuda_sources=layernorm_cuda_source,
    functions=["layernorm_forward"],
    extra_cuda_cflags=["-O3"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.norm = nn.LayerNorm(hidden, eps=1e-5)  # norm.weight / norm.bias loaded from the reference by name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return layernorm_ext.layernorm_forward(x, self.norm.weight, self.norm.bias, self.norm.eps)
