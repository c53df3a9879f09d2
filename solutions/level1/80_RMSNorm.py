"""RMSNorm in one CUDA kernel: one block per row, sum of squares reduced across the block, then scale.

The eager reference makes six passes over the tensor (square, mean, add, sqrt, divide, multiply);
this kernel reads each row once from DRAM (the second read of a row hits the cache) and writes it once.
Rows are read as float4 where the row length and pointers allow, scalars otherwise.
"""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

rmsnorm_cuda_source = r"""
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
__global__ void rmsnorm_rows_kernel(const float* __restrict__ x, const float* __restrict__ weight,
                                    float* __restrict__ out, int64_t hidden, float eps) {
    __shared__ float scratch[32];
    const int64_t row = blockIdx.x;
    const float* xr = x + row * hidden;
    float* outr = out + row * hidden;

    float sq = 0.0f;
    if (kVec4) {
        const int64_t n4 = hidden >> 2;
        const float4* x4 = reinterpret_cast<const float4*>(xr);
        for (int64_t i = threadIdx.x; i < n4; i += blockDim.x) {
            const float4 v = x4[i];
            sq += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
        }
    } else {
        for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) {
            const float v = xr[i];
            sq += v * v;
        }
    }
    const float total = block_sum(sq, scratch);
    const float inv_rms = 1.0f / sqrtf(total / static_cast<float>(hidden) + eps);

    if (kVec4) {
        const int64_t n4 = hidden >> 2;
        const float4* x4 = reinterpret_cast<const float4*>(xr);
        const float4* w4 = reinterpret_cast<const float4*>(weight);
        float4* o4 = reinterpret_cast<float4*>(outr);
        for (int64_t i = threadIdx.x; i < n4; i += blockDim.x) {
            const float4 v = x4[i];
            const float4 w = w4[i];
            o4[i] = make_float4(v.x * inv_rms * w.x, v.y * inv_rms * w.y, v.z * inv_rms * w.z, v.w * inv_rms * w.w);
        }
    } else {
        for (int64_t i = threadIdx.x; i < hidden; i += blockDim.x) outr[i] = xr[i] * inv_rms * weight[i];
    }
}

static bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

torch::Tensor rmsnorm_forward(torch::Tensor x, torch::Tensor weight, double eps) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda(), "rmsnorm_forward: expected CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat,
                "rmsnorm_forward: expected float32 tensors");
    TORCH_CHECK(x.dim() >= 1, "rmsnorm_forward: expected at least one dimension");
    TORCH_CHECK(x.device() == weight.device(), "rmsnorm_forward: x and weight on different devices");
    const int64_t hidden = x.size(-1);
    TORCH_CHECK(hidden > 0, "rmsnorm_forward: empty last dimension");
    TORCH_CHECK(weight.dim() == 1 && weight.size(0) == hidden, "rmsnorm_forward: weight must have shape (hidden,)");
    c10::cuda::CUDAGuard guard(x.device());
    auto xc = x.contiguous();
    auto wc = weight.contiguous();
    TORCH_CHECK(xc.is_contiguous() && wc.is_contiguous(), "rmsnorm_forward: contiguity");
    auto out = torch::empty_like(xc);
    const int64_t rows = xc.numel() / hidden;
    if (rows == 0) return out;
    TORCH_CHECK(rows <= INT_MAX, "rmsnorm_forward: too many rows for one grid");
    const float* xp = xc.data_ptr<float>();
    const float* wp = wc.data_ptr<float>();
    float* op = out.data_ptr<float>();
    const bool vec4 = (hidden % 4 == 0) && aligned16(xp) && aligned16(wp) && aligned16(op);
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    if (vec4) {
        rmsnorm_rows_kernel<true><<<(unsigned)rows, kThreads, 0, stream>>>(xp, wp, op, hidden, (float)eps);
    } else {
        rmsnorm_rows_kernel<false><<<(unsigned)rows, kThreads, 0, stream>>>(xp, wp, op, hidden, (float)eps);
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return out;
}
"""

rmsnorm_cpp_source = "torch::Tensor rmsnorm_forward(torch::Tensor x, torch::Tensor weight, double eps);"

rmsnorm_ext = load_inline(
    name="rmsnorm_rows_cuda",
    cpp_sources=rmsnorm_cpp_source,
    cuda_sources=rmsnorm_cuda_source,
    functions=["rmsnorm_forward"],
    extra_cuda_cflags=["-O3"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self, hidden: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.empty(hidden))  # loaded from the reference by name
        with torch.no_grad():
            self.weight.uniform_(0.5, 1.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rmsnorm_ext.rmsnorm_forward(x, self.weight, self.eps)
