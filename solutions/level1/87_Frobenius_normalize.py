"""x / ||x||_F as a C++ CPU extension: an OpenMP sum of squares in double, then one scaling pass.

Small tensors run on one thread: waking an OpenMP team costs more than the work there.
"""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

frobenius_cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

torch::Tensor frobenius_normalize(torch::Tensor x) {
    TORCH_CHECK(x.device().is_cpu(), "frobenius_normalize: expected a CPU tensor");
    TORCH_CHECK(x.scalar_type() == torch::kFloat, "frobenius_normalize: expected float32");
    auto input = x.contiguous();
    auto out = torch::empty_like(input);
    const float* src = input.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    const int64_t n = input.numel();
    double total = 0.0;
    #pragma omp parallel for schedule(static) reduction(+ : total) if (n >= (1 << 16))
    for (int64_t i = 0; i < n; ++i) {
        const double v = src[i];
        total += v * v;
    }
    const float norm = static_cast<float>(std::sqrt(total));
    #pragma omp parallel for schedule(static) if (n >= (1 << 16))
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i] / norm;
    return out;
}
"""

frobenius_ext = load_inline(
    name="frobenius_normalize_cpu",
    cpp_sources=frobenius_cpp_source,
    functions=["frobenius_normalize"],
    extra_cflags=["-O3", "-fopenmp"],
    extra_ldflags=["-fopenmp"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return frobenius_ext.frobenius_normalize(x)
