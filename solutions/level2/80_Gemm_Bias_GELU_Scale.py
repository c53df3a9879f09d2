"""Linear -> GELU(erf) -> scale: the GEMM stays on cuBLAS (at::mm, no bias), then one own CUDA kernel
adds the bias, applies GELU and the scale in place on the GEMM's output.

Eager runs addmm, then GELU (read + write the output), then the scale (read + write again); here the
epilogue is one read + one write, float4 where the row length allows, so the saving is one full
read+write of the (batch, out_features) output.
"""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

gemm_gelu_cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAException.h>
#include <algorithm>
#include <cstdint>

__device__ __forceinline__ float gelu_erf(float v) { return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); }

// y (rows, cols), row-major, updated in place: y = gelu(y + bias[col]) * scale.
// kVec4: cols % 4 == 0 and y, bias 16-byte aligned, so a float4 never straddles a row.
template <bool kVec4>
__global__ void bias_gelu_scale_kernel(float* __restrict__ y, const float* __restrict__ bias,
                                       int64_t rows, int64_t cols, float scale) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    const int64_t start = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (kVec4) {
        const int64_t cols4 = cols >> 2;
        const int64_t n4 = rows * cols4;
        float4* y4 = reinterpret_cast<float4*>(y);
        const float4* b4 = reinterpret_cast<const float4*>(bias);
        for (int64_t i = start; i < n4; i += stride) {
            float4 v = y4[i];
            const float4 b = b4[i % cols4];
            v.x = gelu_erf(v.x + b.x) * scale;
            v.y = gelu_erf(v.y + b.y) * scale;
            v.z = gelu_erf(v.z + b.z) * scale;
            v.w = gelu_erf(v.w + b.w) * scale;
            y4[i] = v;
        }
    } else {
        const int64_t n = rows * cols;
        for (int64_t i = start; i < n; i += stride) y[i] = gelu_erf(y[i] + bias[i % cols]) * scale;
    }
}

torch::Tensor linear_gelu_scale(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double scale) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda() && bias.is_cuda(), "linear_gelu_scale: expected CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat &&
                bias.scalar_type() == torch::kFloat, "linear_gelu_scale: expected float32 tensors");
    TORCH_CHECK(x.device() == weight.device() && x.device() == bias.device(),
                "linear_gelu_scale: tensors on different devices");
    TORCH_CHECK(weight.dim() == 2 && x.dim() >= 1 && x.size(-1) == weight.size(1),
                "linear_gelu_scale: x (..., in) and weight (out, in) do not match");
    const int64_t in_features = weight.size(1), out_features = weight.size(0);
    TORCH_CHECK(bias.dim() == 1 && bias.size(0) == out_features, "linear_gelu_scale: bias must be (out,)");
    c10::cuda::CUDAGuard guard(x.device());
    auto x2 = x.reshape({-1, in_features}).contiguous();
    auto bc = bias.contiguous();
    auto y = at::mm(x2, weight.t());            // cuBLAS, same precision settings as the reference
    y = y.contiguous();
    TORCH_CHECK(y.is_contiguous() && bc.is_contiguous(), "linear_gelu_scale: contiguity");
    const int64_t rows = y.size(0), cols = y.size(1);
    std::vector<int64_t> out_shape(x.sizes().begin(), x.sizes().end());
    out_shape.back() = out_features;
    if (rows * cols == 0) return y.reshape(out_shape);
    float* yp = y.data_ptr<float>();
    const float* bp = bc.data_ptr<float>();
    const bool vec4 = (cols % 4 == 0) && ((reinterpret_cast<uintptr_t>(yp) | reinterpret_cast<uintptr_t>(bp)) & 15u) == 0;
    const int threads = 256;
    const int64_t work = vec4 ? rows * (cols / 4) : rows * cols;
    const int64_t blocks = std::min<int64_t>((work + threads - 1) / threads, (int64_t)1 << 20);
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    if (vec4) {
        bias_gelu_scale_kernel<true><<<(unsigned)blocks, threads, 0, stream>>>(yp, bp, rows, cols, (float)scale);
    } else {
        bias_gelu_scale_kernel<false><<<(unsigned)blocks, threads, 0, stream>>>(yp, bp, rows, cols, (float)scale);
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return y.reshape(out_shape);
}
"""

gemm_gelu_cpp_source = ("torch::Tensor linear_gelu_scale(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, "
                        "double scale);")

gemm_gelu_ext = load_inline(
    name="gemm_bias_gelu_scale_cuda",
    cpp_sources=gemm_gelu_cpp_source,
    cuda_sources=gemm_gelu_cuda_source,
    functions=["linear_gelu_scale"],
    extra_cuda_cflags=["-O3"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int, scale: float):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)  # linear.weight / linear.bias loaded by name
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gemm_gelu_ext.linear_gelu_scale(x, self.linear.weight, self.linear.bias, self.scale)
