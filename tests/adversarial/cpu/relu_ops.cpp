// A correct ReLU and two honest-looking variants, shared by the cheating fixtures in this folder
// (one build for all of them), so that each fixture is wrong only in the way it cheats.
#include <torch/extension.h>
#include <chrono>
#include <thread>

torch::Tensor relu(torch::Tensor x) { return torch::clamp_min(x, 0); }

// In place: returns its input, modified.
torch::Tensor relu_inplace(torch::Tensor x) { return x.clamp_min_(0); }

// Accepts only float64, so on a float32 problem it always raises.
torch::Tensor relu_float64_only(torch::Tensor x) {
    TORCH_CHECK(x.scalar_type() == torch::kDouble, "relu_float64_only: expected float64");
    return torch::clamp_min(x, 0);
}

// Native-thread deferral: returns an unfilled output at once; a detached C++ thread fills it 2 ms later.
torch::Tensor relu_later(torch::Tensor x) {
    auto y = torch::empty_like(x);
    std::thread([x, y]() mutable {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        y.copy_(torch::clamp_min(x, 0));
    }).detach();
    return y;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
    m.def("relu", &relu);
    m.def("relu_inplace", &relu_inplace);
    m.def("relu_float64_only", &relu_float64_only);
    m.def("relu_later", &relu_later);
}
