"""Row-wise log_softmax as a C++ CPU extension: max, sum of exp (double), then x - max - log(sum).

One OpenMP task per row; works for any (rows, cols) with cols >= 1.
"""
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

log_softmax_cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <cmath>

torch::Tensor log_softmax_rows(torch::Tensor x) {
    TORCH_CHECK(x.device().is_cpu() && x.dim() == 2, "log_softmax_rows: expected a 2-D CPU tensor");
    TORCH_CHECK(x.scalar_type() == torch::kFloat, "log_softmax_rows: expected float32");
    TORCH_CHECK(x.size(1) > 0, "log_softmax_rows: empty rows");
    auto input = x.contiguous();
    auto out = torch::empty_like(input);
    const int64_t rows = input.size(0), cols = input.size(1);
    const float* src = input.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    #pragma omp parallel for schedule(static) if (rows * cols >= (1 << 16))
    for (int64_t r = 0; r < rows; ++r) {
        const float* in_row = src + r * cols;
        float* out_row = dst + r * cols;
        float peak = in_row[0];
        for (int64_t c = 1; c < cols; ++c) peak = std::max(peak, in_row[c]);
        double total = 0.0;
        for (int64_t c = 0; c < cols; ++c) total += std::exp(static_cast<double>(in_row[c] - peak));
        const float shift = peak + static_cast<float>(std::log(total));
        for (int64_t c = 0; c < cols; ++c) out_row[c] = in_row[c] - shift;
    }
    return out;
}
"""

log_softmax_ext = load_inline(
    name="log_softmax_cpu_rows",
    cpp_sources=log_softmax_cpp_source,
    functions=["log_softmax_rows"],
    extra_cflags=["-O3", "-fopenmp"],
    extra_ldflags=["-fopenmp"],
    verbose=False,
)


class ModelNew(nn.Module):
    def __init__(self):
        super(ModelNew, self).__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return log_softmax_ext.log_softmax_rows(x)
