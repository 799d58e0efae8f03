// Elementwise, reduction and shape functions: one ATen call each.
#include "Internal.hpp"

using namespace ctorch;

#define CTORCH_BINARY(name, expression)                                                          \
  CTorchTensor *ctorch_##name(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status) { \
    return make(status, [&] {                                                                    \
      const auto &x = ref(a);                                                                    \
      const auto &y = ref(b);                                                                    \
      return expression;                                                                         \
    });                                                                                          \
  }

#define CTORCH_SCALAR(name, expression)                                                 \
  CTorchTensor *ctorch_##name(const CTorchTensor *a, double value, CTorchStatus *status) { \
    return make(status, [&] {                                                           \
      const auto &x = ref(a);                                                           \
      return expression;                                                                \
    });                                                                                 \
  }

#define CTORCH_UNARY(name, expression)                                    \
  CTorchTensor *ctorch_##name(const CTorchTensor *a, CTorchStatus *status) { \
    return make(status, [&] {                                             \
      const auto &x = ref(a);                                             \
      return expression;                                                  \
    });                                                                   \
  }

#define CTORCH_DIMS_REDUCTION(name, function)                                                            \
  CTorchTensor *ctorch_##name(const CTorchTensor *a, const int64_t *dims, int64_t count, bool keepdim, \
                              CTorchStatus *status) {                                                    \
    return make(status, [&] { return at::function(ref(a), ints(dims, count), keepdim); });              \
  }

extern "C" {

CTORCH_BINARY(add, x + y)
CTORCH_BINARY(sub, x - y)
CTORCH_BINARY(mul, x * y)
CTORCH_BINARY(div, x / y)
CTORCH_BINARY(maximum, at::maximum(x, y))
CTORCH_BINARY(minimum, at::minimum(x, y))
CTORCH_BINARY(pow, at::pow(x, y))
CTORCH_BINARY(gt, at::gt(x, y))
CTORCH_BINARY(lt, at::lt(x, y))
CTORCH_BINARY(ge, at::ge(x, y))
CTORCH_BINARY(le, at::le(x, y))
CTORCH_BINARY(eq, at::eq(x, y))
CTORCH_BINARY(matmul, at::matmul(x, y))

CTorchTensor *ctorch_where(const CTorchTensor *condition, const CTorchTensor *a, const CTorchTensor *b,
                           CTorchStatus *status) {
  return make(status, [&] { return at::where(ref(condition), ref(a), ref(b)); });
}

CTORCH_SCALAR(add_scalar, x + value)
CTORCH_SCALAR(mul_scalar, x * value)
CTORCH_SCALAR(pow_scalar, at::pow(x, value))
CTORCH_SCALAR(rsub_scalar, value - x)
CTORCH_SCALAR(gt_scalar, at::gt(x, value))
CTORCH_SCALAR(lt_scalar, at::lt(x, value))
CTORCH_SCALAR(ge_scalar, at::ge(x, value))
CTORCH_SCALAR(eq_scalar, at::eq(x, value))
CTORCH_SCALAR(clamp_min, at::clamp_min(x, value))
CTORCH_SCALAR(clamp_max, at::clamp_max(x, value))

CTorchTensor *ctorch_clamp(const CTorchTensor *a, double min, double max, CTorchStatus *status) {
  return make(status, [&] { return at::clamp(ref(a), min, max); });
}

CTorchTensor *ctorch_nan_to_num(const CTorchTensor *a, double nan, double posinf, double neginf,
                                CTorchStatus *status) {
  return make(status, [&] { return at::nan_to_num(ref(a), nan, posinf, neginf); });
}

CTORCH_UNARY(neg, -x)
CTORCH_UNARY(abs, at::abs(x))
CTORCH_UNARY(exp, at::exp(x))
CTORCH_UNARY(log, at::log(x))
CTORCH_UNARY(log1p, at::log1p(x))
CTORCH_UNARY(sqrt, at::sqrt(x))
CTORCH_UNARY(square, at::square(x))
CTORCH_UNARY(sign, at::sign(x))
CTORCH_UNARY(relu, at::relu(x))
CTORCH_UNARY(sigmoid, at::sigmoid(x))
CTORCH_UNARY(tanh, at::tanh(x))
CTORCH_UNARY(floor, at::floor(x))
CTORCH_UNARY(round, at::round(x))
CTORCH_UNARY(isnan, at::isnan(x))
CTORCH_UNARY(isinf, at::isinf(x))

CTORCH_UNARY(sum, at::sum(x))
CTORCH_UNARY(mean, at::mean(x))
CTORCH_UNARY(max, at::max(x))
CTORCH_UNARY(min, at::min(x))
CTORCH_DIMS_REDUCTION(sum_dims, sum)
CTORCH_DIMS_REDUCTION(mean_dims, mean)
CTORCH_DIMS_REDUCTION(amax_dims, amax)
CTORCH_DIMS_REDUCTION(amin_dims, amin)

CTorchTensor *ctorch_var_dims(const CTorchTensor *a, const int64_t *dims, int64_t count, bool unbiased,
                              bool keepdim, CTorchStatus *status) {
  return make(status, [&] { return at::var(ref(a), ints(dims, count), unbiased, keepdim); });
}

CTorchTensor *ctorch_argmax(const CTorchTensor *a, int64_t dim, bool keepdim, CTorchStatus *status) {
  return make(status, [&] { return at::argmax(ref(a), dim, keepdim); });
}

CTorchTensor *ctorch_argmin(const CTorchTensor *a, int64_t dim, bool keepdim, CTorchStatus *status) {
  return make(status, [&] { return at::argmin(ref(a), dim, keepdim); });
}

void ctorch_sort(const CTorchTensor *a, int64_t dim, bool descending, CTorchTensor **values,
                 CTorchTensor **indices, CTorchStatus *status) {
  *values = nullptr;
  *indices = nullptr;
  guard(status, [&] {
    auto sorted = at::sort(ref(a), dim, descending);
    *values = new CTorchTensor{std::get<0>(sorted)};
    *indices = new CTorchTensor{std::get<1>(sorted)};
  });
}

CTorchTensor *ctorch_softmax(const CTorchTensor *a, int64_t dim, CTorchStatus *status) {
  return make(status, [&] { return at::softmax(ref(a), dim); });
}

CTorchTensor *ctorch_log_softmax(const CTorchTensor *a, int64_t dim, CTorchStatus *status) {
  return make(status, [&] { return at::log_softmax(ref(a), dim); });
}

CTorchTensor *ctorch_cumsum(const CTorchTensor *a, int64_t dim, CTorchStatus *status) {
  return make(status, [&] { return at::cumsum(ref(a), dim); });
}

CTorchTensor *ctorch_reshape(const CTorchTensor *a, const int64_t *shape, int64_t ndim, CTorchStatus *status) {
  return make(status, [&] { return ref(a).reshape(ints(shape, ndim)); });
}

CTorchTensor *ctorch_permute(const CTorchTensor *a, const int64_t *dims, int64_t ndim, CTorchStatus *status) {
  return make(status, [&] { return ref(a).permute(ints(dims, ndim)); });
}

CTorchTensor *ctorch_transpose(const CTorchTensor *a, int64_t dim0, int64_t dim1, CTorchStatus *status) {
  return make(status, [&] { return ref(a).transpose(dim0, dim1); });
}

CTorchTensor *ctorch_expand(const CTorchTensor *a, const int64_t *shape, int64_t ndim, CTorchStatus *status) {
  return make(status, [&] { return ref(a).expand(ints(shape, ndim)); });
}

CTorchTensor *ctorch_repeat(const CTorchTensor *a, const int64_t *repeats, int64_t ndim, CTorchStatus *status) {
  return make(status, [&] { return ref(a).repeat(ints(repeats, ndim)); });
}

CTorchTensor *ctorch_unsqueeze(const CTorchTensor *a, int64_t dim, CTorchStatus *status) {
  return make(status, [&] { return ref(a).unsqueeze(dim); });
}

CTorchTensor *ctorch_squeeze_dim(const CTorchTensor *a, int64_t dim, CTorchStatus *status) {
  return make(status, [&] { return ref(a).squeeze(dim); });
}

CTorchTensor *ctorch_flip(const CTorchTensor *a, const int64_t *dims, int64_t count, CTorchStatus *status) {
  return make(status, [&] { return at::flip(ref(a), ints(dims, count)); });
}

CTorchTensor *ctorch_narrow(const CTorchTensor *a, int64_t dim, int64_t start, int64_t length,
                            CTorchStatus *status) {
  return make(status, [&] { return ref(a).narrow(dim, start, length); });
}

CTorchTensor *ctorch_cat(const CTorchTensor *const *handles, int64_t count, int64_t dim, CTorchStatus *status) {
  return make(status, [&] { return at::cat(tensors(handles, count), dim); });
}

CTorchTensor *ctorch_stack(const CTorchTensor *const *handles, int64_t count, int64_t dim, CTorchStatus *status) {
  return make(status, [&] { return at::stack(tensors(handles, count), dim); });
}

CTorchTensor *ctorch_index_select(const CTorchTensor *a, int64_t dim, const CTorchTensor *index,
                                  CTorchStatus *status) {
  return make(status, [&] { return at::index_select(ref(a), dim, ref(index)); });
}

CTorchTensor *ctorch_gather(const CTorchTensor *a, int64_t dim, const CTorchTensor *index, CTorchStatus *status) {
  return make(status, [&] { return at::gather(ref(a), dim, ref(index)); });
}

CTorchTensor *ctorch_one_hot(const CTorchTensor *indices, int64_t classes, CTorchStatus *status) {
  return make(status, [&] { return at::one_hot(ref(indices), classes); });
}

CTorchTensor *ctorch_constant_pad(const CTorchTensor *a, const int64_t *pad, int64_t count, double value,
                                  CTorchStatus *status) {
  return make(status, [&] { return at::constant_pad_nd(ref(a), ints(pad, count), value); });
}

}  // extern "C"
