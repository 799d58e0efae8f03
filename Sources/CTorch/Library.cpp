// Library-wide settings, tensor lifetime, data exchange, factories and autograd entry points.
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/version.h>

#include <dlfcn.h>

#include "Internal.hpp"

using namespace ctorch;

namespace ctorch {

at::ScalarType scalar_type(CTorchDType dtype) {
  switch (dtype) {
    case CTORCH_FLOAT32: return at::kFloat;
    case CTORCH_FLOAT64: return at::kDouble;
    case CTORCH_INT64: return at::kLong;
    case CTORCH_BOOL: return at::kBool;
    case CTORCH_UINT8: return at::kByte;
    default: throw std::invalid_argument("unsupported CTorchDType");
  }
}

CTorchDType dtype_of(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return CTORCH_FLOAT32;
    case at::kDouble: return CTORCH_FLOAT64;
    case at::kLong: return CTORCH_INT64;
    case at::kBool: return CTORCH_BOOL;
    case at::kByte: return CTORCH_UINT8;
    default: return CTORCH_OTHER;
  }
}

}  // namespace ctorch

extern "C" {

const char *ctorch_version(void) { return TORCH_VERSION; }

void ctorch_set_num_threads(int32_t threads) {
  try {
    at::set_num_threads(threads);
    at::set_num_interop_threads(1);
  } catch (...) {
    // set_num_interop_threads refuses a second call once the pool exists; the intra-op count is set.
  }
  // An OpenBLAS pool of its own fights the OpenMP threads; pin it to one when that BLAS is loaded.
  using SetThreads = void (*)(int);
  if (auto openblas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    openblas(1);
  }
}

int32_t ctorch_get_num_threads(void) { return at::get_num_threads(); }

void ctorch_manual_seed(uint64_t seed) {
  try {
    at::manual_seed(seed);
  } catch (...) {
  }
}

bool ctorch_set_grad_enabled(bool enabled) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(enabled);
  return previous;
}

bool ctorch_is_grad_enabled(void) { return at::GradMode::is_enabled(); }

void ctorch_free(CTorchTensor *tensor) { delete tensor; }

CTorchTensor *ctorch_from_data(const void *data, CTorchDType dtype, const int64_t *shape, int64_t ndim,
                               CTorchStatus *status) {
  return make(status, [&] {
    auto options = at::TensorOptions().dtype(scalar_type(dtype));
    return at::from_blob(const_cast<void *>(data), ints(shape, ndim), options).clone();
  });
}

int64_t ctorch_ndim(const CTorchTensor *tensor) { return tensor->value.dim(); }

void ctorch_shape(const CTorchTensor *tensor, int64_t *shape) {
  auto sizes = tensor->value.sizes();
  for (size_t i = 0; i < sizes.size(); ++i) shape[i] = sizes[i];
}

int64_t ctorch_numel(const CTorchTensor *tensor) { return tensor->value.numel(); }

CTorchDType ctorch_dtype(const CTorchTensor *tensor) { return dtype_of(tensor->value.scalar_type()); }

void ctorch_copy_out(const CTorchTensor *tensor, CTorchDType dtype, void *out, int64_t count,
                     CTorchStatus *status) {
  guard(status, [&] {
    TORCH_CHECK(count == tensor->value.numel(), "copy_out: destination holds ", count, " elements, tensor has ",
                tensor->value.numel());
    auto source = tensor->value.detach().to(at::kCPU, scalar_type(dtype)).contiguous();
    auto destination = at::from_blob(out, source.sizes(), source.options());
    destination.copy_(source);
  });
}

double ctorch_item(const CTorchTensor *tensor, CTorchStatus *status) {
  double value = 0;
  guard(status, [&] { value = tensor->value.item<double>(); });
  return value;
}

CTorchTensor *ctorch_to_dtype(const CTorchTensor *tensor, CTorchDType dtype, CTorchStatus *status) {
  return make(status, [&] { return ref(tensor).to(scalar_type(dtype)); });
}

CTorchTensor *ctorch_clone(const CTorchTensor *tensor, CTorchStatus *status) {
  return make(status, [&] { return ref(tensor).clone(); });
}

CTorchTensor *ctorch_contiguous(const CTorchTensor *tensor, CTorchStatus *status) {
  return make(status, [&] { return ref(tensor).contiguous(); });
}

CTorchTensor *ctorch_full(const int64_t *shape, int64_t ndim, double value, CTorchDType dtype,
                          CTorchStatus *status) {
  return make(status, [&] { return at::full(ints(shape, ndim), value, at::TensorOptions().dtype(scalar_type(dtype))); });
}

CTorchTensor *ctorch_rand(const int64_t *shape, int64_t ndim, CTorchStatus *status) {
  return make(status, [&] { return at::rand(ints(shape, ndim)); });
}

CTorchTensor *ctorch_randn(const int64_t *shape, int64_t ndim, CTorchStatus *status) {
  return make(status, [&] { return at::randn(ints(shape, ndim)); });
}

CTorchTensor *ctorch_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim,
                             CTorchStatus *status) {
  return make(status, [&] { return at::randint(low, high, ints(shape, ndim), at::TensorOptions().dtype(at::kLong)); });
}

CTorchTensor *ctorch_randperm(int64_t n, CTorchStatus *status) {
  return make(status, [&] { return at::randperm(n, at::TensorOptions().dtype(at::kLong)); });
}

CTorchTensor *ctorch_arange(double start, double end, double step, CTorchDType dtype, CTorchStatus *status) {
  return make(status, [&] { return at::arange(start, end, step, at::TensorOptions().dtype(scalar_type(dtype))); });
}

void ctorch_set_requires_grad(CTorchTensor *tensor, bool requires, CTorchStatus *status) {
  guard(status, [&] { tensor->value.set_requires_grad(requires); });
}

bool ctorch_requires_grad(const CTorchTensor *tensor) { return tensor->value.requires_grad(); }

CTorchTensor *ctorch_grad(const CTorchTensor *tensor) {
  const auto &grad = tensor->value.grad();
  if (!grad.defined()) return nullptr;
  return new CTorchTensor{grad};
}

void ctorch_clear_grad(CTorchTensor *tensor) {
  if (tensor->value.grad().defined()) tensor->value.mutable_grad() = at::Tensor();
}

CTorchTensor *ctorch_detach(const CTorchTensor *tensor, CTorchStatus *status) {
  return make(status, [&] { return ref(tensor).detach(); });
}

void ctorch_backward(const CTorchTensor *tensor, const CTorchTensor *gradient, bool retain_graph,
                     bool create_graph, CTorchStatus *status) {
  guard(status, [&] {
    at::Tensor seed = gradient == nullptr ? at::Tensor() : gradient->value;
    tensor->value.backward(seed, retain_graph, create_graph);
  });
}

void ctorch_autograd_grad(const CTorchTensor *const *outputs, const CTorchTensor *const *grad_outputs,
                          int64_t output_count, const CTorchTensor *const *inputs, int64_t input_count,
                          bool retain_graph, bool create_graph, bool allow_unused, CTorchTensor **results,
                          CTorchStatus *status) {
  guard(status, [&] {
    std::vector<at::Tensor> seeds;
    if (grad_outputs != nullptr) {
      for (int64_t i = 0; i < output_count; ++i) {
        seeds.push_back(grad_outputs[i] == nullptr ? at::Tensor() : grad_outputs[i]->value);
      }
    }
    auto gradients = torch::autograd::grad(tensors(outputs, output_count), tensors(inputs, input_count), seeds,
                                           retain_graph, create_graph, allow_unused);
    for (int64_t i = 0; i < input_count; ++i) {
      const auto &gradient = gradients[static_cast<size_t>(i)];
      results[i] = gradient.defined() ? new CTorchTensor{gradient} : nullptr;
    }
  });
}

}  // extern "C"
