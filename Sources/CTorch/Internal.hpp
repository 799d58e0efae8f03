// Shared marshalling helpers for the CTorch bridge. Internal: never included by Swift.
#pragma once

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

#include "CTorch.h"

struct CTorchTensor {
  at::Tensor value;
};

namespace ctorch {

inline void set_status(CTorchStatus *status, int32_t code, const char *message) noexcept {
  if (status == nullptr) return;
  status->code = code;
  std::snprintf(status->message, sizeof(status->message), "%s", message);
}

/// Runs `body`, converting any C++ exception into a status code and message. Nothing unwinds past here.
template <typename Body>
inline void guard(CTorchStatus *status, Body &&body) noexcept {
  if (status != nullptr) {
    status->code = CTORCH_OK;
    status->message[0] = '\0';
  }
  try {
    body();
  } catch (const c10::Error &error) {
    set_status(status, CTORCH_C10_ERROR, error.what_without_backtrace());
  } catch (const std::exception &error) {
    set_status(status, CTORCH_STD_EXCEPTION, error.what());
  } catch (...) {
    set_status(status, CTORCH_UNKNOWN_EXCEPTION, "unknown C++ exception in libtorch bridge");
  }
}

/// Runs `body`, which produces a tensor, and hands it to Swift as a new handle (NULL on error).
template <typename Body>
inline CTorchTensor *make(CTorchStatus *status, Body &&body) noexcept {
  CTorchTensor *result = nullptr;
  guard(status, [&] { result = new CTorchTensor{body()}; });
  return result;
}

inline const at::Tensor &ref(const CTorchTensor *tensor) { return tensor->value; }

/// An optional tensor argument: NULL becomes an undefined tensor, which ATen treats as absent.
inline c10::optional<at::Tensor> optional(const CTorchTensor *tensor) {
  if (tensor == nullptr) return c10::nullopt;
  return tensor->value;
}

inline at::IntArrayRef ints(const int64_t *values, int64_t count) {
  return at::IntArrayRef(values, static_cast<size_t>(count));
}

inline std::vector<at::Tensor> tensors(const CTorchTensor *const *handles, int64_t count) {
  std::vector<at::Tensor> result;
  result.reserve(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) result.push_back(handles[i]->value);
  return result;
}

at::ScalarType scalar_type(CTorchDType dtype);
CTorchDType dtype_of(at::ScalarType type);

}  // namespace ctorch
