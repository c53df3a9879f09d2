"""Conv2d -> ReLU -> per-channel scale: the convolution stays on cuDNN (at::conv2d without its bias),
then one own CUDA kernel does y = max(y + bias[c], 0) * scale[c] in place on the conv output.

Eager runs conv(+bias), ReLU (read + write) and the broadcast multiply (read + write); here the
epilogue is a single read + write of the conv output. float4 when H*W % 4 == 0 (a float4 then
never spans two channels), scalars otherwise.
"""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

conv_epilogue_cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <c10/cuda/CUDAException.h>
#include <algorithm>
#include <cstdint>

// y is (N, C, HW) contiguous; y = max(y + bias[c], 0) * scale[c], in place.
template <bool kVec4>
__global__ void bias_relu_scale_kernel(float* __restrict__ y, const float* __restrict__ bias,
                                       const float* __restrict__ scale, int64_t total, int64_t channels,
                                       int64_t hw) {
    const int64_t stride = (int64_t)gridDim.x * blockDim.x;
    const int64_t start = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (kVec4) {
        const int64_t hw4 = hw >> 2;
        const int64_t n4 = total >> 2;
        float4* y4 = reinterpret_cast<float4*>(y);
        for (int64_t i = start; i < n4; i += stride) {
            const int64_t c = (i / hw4) % channels;
            const float b = bias[c], s = scale[c];
            float4 v = y4[i];
            v.x = fmaxf(v.x + b, 0.0f) * s;
            v.y = fmaxf(v.y + b, 0.0f) * s;
            v.z = fmaxf(v.z + b, 0.0f) * s;
            v.w = fmaxf(v.w + b, 0.0f) * s;
            y4[i] = v;
        }
    } else {
        for (int64_t i = start; i < total; i += stride) {
            const int64_t c = (i / hw) % channels;
            y[i] = fmaxf(y[i] + bias[c], 0.0f) * scale[c];
        }
    }
}

torch::Tensor conv_bias_relu_scale(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, torch::Tensor scale,
                                   std::vector<int64_t> stride, std::vector<int64_t> padding,
                                   std::vector<int64_t> dilation, int64_t groups) {
    TORCH_CHECK(x.is_cuda() && weight.is_cuda() && bias.is_cuda() && scale.is_cuda(),
                "conv_bias_relu_scale: expected CUDA tensors");
    TORCH_CHECK(x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat &&
                bias.scalar_type() == torch::kFloat && scale.scalar_type() == torch::kFloat,
                "conv_bias_relu_scale: expected float32 tensors");
    TORCH_CHECK(x.device() == weight.device() && x.device() == bias.device() && x.device() == scale.device(),
                "conv_bias_relu_scale: tensors on different devices");
    TORCH_CHECK(x.dim() == 4 && weight.dim() == 4, "conv_bias_relu_scale: expected 4-D input and weight");
    const int64_t channels = weight.size(0);
    TORCH_CHECK(bias.numel() == channels && scale.numel() == channels,
                "conv_bias_relu_scale: bias and scale need one value per output channel");
    c10::cuda::CUDAGuard guard(x.device());
    // cuDNN convolution without bias (the bias goes into the epilogue), same precision settings as the reference.
    auto y = at::conv2d(x, weight, {}, stride, padding, dilation, groups).contiguous();
    auto bc = bias.contiguous();
    auto sc = scale.contiguous();
    TORCH_CHECK(y.is_contiguous() && bc.is_contiguous() && sc.is_contiguous(), "conv_bias_relu_scale: contiguity");
    const int64_t total = y.numel();
    if (total == 0) return y;
    const int64_t hw = y.size(2) * y.size(3);
    float* yp = y.data_ptr<float>();
    const bool vec4 = (hw % 4 == 0) && (reinterpret_cast<uintptr_t>(yp) & 15u) == 0;
    const int threads = 256;
    const int64_t work = vec4 ? total / 4 : total;
    const int64_t blocks = std::min<int64_t>((work + threads - 1) / threads, (int64_t)1 << 20);
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream();
    if (vec4) {
        bias_relu_scale_kernel<true><<<(unsigned)blocks, threads, 0, stream>>>(
            yp, bc.data_ptr<float>(), sc.data_ptr<float>(), total, channels, hw);
    } else {
        bias_relu_scale_kernel<false><<<(unsigned)blocks, threads, 0, stream>>>(
            yp, bc.data_ptr<float>(), sc.data_ptr<float>(), total, channels, hw);
    }
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return y;
}
"""

conv_epilogue_cpp_source = (
    "torch::Tensor conv_bias_relu_scale(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, "
    "torch::Tensor scale, std::vector<int64_t> stride, std::vector<int64_t> padding, "
    "std::vector<int64_t> dilation, int64_t groups);"
)

conv_epilogue_ext = load_inline(
    name="conv2d_bias_relu_scale_cuda",
    cpp_sources=conv_epilogue_cpp_source,
    cuda_sources=conv_epilogue_cuda_source,
    functions=["conv_bias_relu_scale"],
    extra_cuda_cflags=["-O3"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        # Same parameter names and shapes as the reference: conv.weight, conv.bias, scale.
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.scale = nn.Parameter(torch.empty(out_channels, 1, 1))
        with torch.no_grad():
            self.scale.uniform_(0.5, 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.conv
        return conv_epilogue_ext.conv_bias_relu_scale(x, c.weight, c.bias, self.scale, list(c.stride),
                                                      list(c.padding), list(c.dilation), c.groups)
