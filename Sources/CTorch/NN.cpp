// Neural-network functions, the LRP-aware ReLU and in-place updates.
#include <torch/csrc/autograd/custom_function.h>

#include "Internal.hpp"

using namespace ctorch;

namespace {

thread_local bool lrp_backward = false;

/// y = relu(x). Its backward sends the gradient to x scaled by y/(y+eps) in LRP mode, or by 1[x>0]
/// otherwise. The factor is recomputed from the saved input with differentiable ops, so a double
/// backward differentiates it through the ordinary ReLU.
struct LRPReLU : public torch::autograd::Function<LRPReLU> {
  static at::Tensor forward(torch::autograd::AutogradContext *context, const at::Tensor &input, double eps) {
    context->save_for_backward({input});
    context->saved_data["eps"] = eps;
    return at::relu(input);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *context,
                                                 torch::autograd::variable_list gradients) {
    auto input = context->get_saved_variables()[0];
    double eps = context->saved_data["eps"].toDouble();
    const auto &incoming = gradients[0];
    if (lrp_backward && eps > 0) {
      auto output = at::relu(input);
      return {incoming * (output / (output + eps)), at::Tensor()};
    }
    return {incoming * (input > 0).to(incoming.scalar_type()), at::Tensor()};
  }
};

/// The value of `ordinary`; the backward sends the gradient to `ordinary` outside LRP mode and to
/// `relevance` inside it, so one forward graph holds a path only relevance passes follow.
struct LRPGradientSwitch : public torch::autograd::Function<LRPGradientSwitch> {
  static at::Tensor forward(torch::autograd::AutogradContext *, const at::Tensor &ordinary, const at::Tensor &) {
    return ordinary.clone();
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *,
                                                 torch::autograd::variable_list gradients) {
    if (lrp_backward) return {at::Tensor(), gradients[0]};
    return {gradients[0], at::Tensor()};
  }
};

}  // namespace

extern "C" {

CTorchTensor *ctorch_lrp_gradient_switch(const CTorchTensor *ordinary, const CTorchTensor *relevance,
                                         CTorchStatus *status) {
  return make(status, [&] { return LRPGradientSwitch::apply(ref(ordinary), ref(relevance)); });
}

CTorchTensor *ctorch_lrp_relu(const CTorchTensor *a, double eps, CTorchStatus *status) {
  return make(status, [&] { return LRPReLU::apply(ref(a), eps); });
}

bool ctorch_set_lrp_backward(bool enabled) {
  bool previous = lrp_backward;
  lrp_backward = enabled;
  return previous;
}

CTorchTensor *ctorch_conv2d(const CTorchTensor *input, const CTorchTensor *weight, const CTorchTensor *bias,
                            const int64_t *stride, const int64_t *padding, const int64_t *dilation,
                            int64_t groups, CTorchStatus *status) {
  return make(status, [&] {
    return at::conv2d(ref(input), ref(weight), optional(bias), ints(stride, 2), ints(padding, 2),
                      ints(dilation, 2), groups);
  });
}

CTorchTensor *ctorch_conv_transpose2d(const CTorchTensor *input, const CTorchTensor *weight,
                                      const CTorchTensor *bias, const int64_t *stride, const int64_t *padding,
                                      const int64_t *output_padding, int64_t groups, const int64_t *dilation,
                                      CTorchStatus *status) {
  return make(status, [&] {
    return at::conv_transpose2d(ref(input), ref(weight), optional(bias), ints(stride, 2), ints(padding, 2),
                                ints(output_padding, 2), groups, ints(dilation, 2));
  });
}

CTorchTensor *ctorch_conv2d_input_gradient(const CTorchTensor *grad_output, const CTorchTensor *weight,
                                           const int64_t *input_shape, const int64_t *stride, const int64_t *padding,
                                           const int64_t *dilation, int64_t groups, CTorchStatus *status) {
  return make(status, [&] {
    // The input gradient depends only on the input argument's sizes, but its double backward
    // multiplies the input's values by zero-valued terms: zeros keep uninitialised NaNs out.
    auto input = at::zeros(ints(input_shape, 4), ref(grad_output).options());
    const int64_t no_output_padding[2] = {0, 0};
    return std::get<0>(at::convolution_backward(ref(grad_output), input, ref(weight), c10::nullopt, ints(stride, 2),
                                                ints(padding, 2), ints(dilation, 2), /*transposed=*/false,
                                                ints(no_output_padding, 2), groups, {true, false, false}));
  });
}

CTorchTensor *ctorch_linear(const CTorchTensor *input, const CTorchTensor *weight, const CTorchTensor *bias,
                            CTorchStatus *status) {
  return make(status, [&] { return at::linear(ref(input), ref(weight), optional(bias)); });
}

CTorchTensor *ctorch_batch_norm(const CTorchTensor *input, const CTorchTensor *weight, const CTorchTensor *bias,
                                CTorchTensor *running_mean, CTorchTensor *running_var, bool training,
                                double momentum, double eps, CTorchStatus *status) {
  return make(status, [&] {
    return at::batch_norm(ref(input), optional(weight), optional(bias), optional(running_mean),
                          optional(running_var), training, momentum, eps, /*cudnn_enabled=*/true);
  });
}

void ctorch_batch_norm_training(const CTorchTensor *input, const CTorchTensor *weight, const CTorchTensor *bias,
                                CTorchTensor *running_mean, CTorchTensor *running_var, double momentum, double eps,
                                CTorchTensor **output, CTorchTensor **mean, CTorchTensor **inverse_std,
                                CTorchStatus *status) {
  *output = *mean = *inverse_std = nullptr;
  guard(status, [&] {
    auto result = at::native_batch_norm(ref(input), optional(weight), optional(bias), optional(running_mean),
                                        optional(running_var), /*training=*/true, momentum, eps);
    *output = new CTorchTensor{std::get<0>(result)};
    *mean = new CTorchTensor{std::get<1>(result)};
    *inverse_std = new CTorchTensor{std::get<2>(result)};
  });
}

CTorchTensor *ctorch_max_pool2d(const CTorchTensor *input, const int64_t *kernel, const int64_t *stride,
                                const int64_t *padding, bool ceil_mode, CTorchStatus *status) {
  return make(status, [&] {
    const int64_t dilation[2] = {1, 1};
    return at::max_pool2d(ref(input), ints(kernel, 2), ints(stride, 2), ints(padding, 2), ints(dilation, 2),
                          ceil_mode);
  });
}

CTorchTensor *ctorch_avg_pool2d(const CTorchTensor *input, const int64_t *kernel, const int64_t *stride,
                                const int64_t *padding, bool ceil_mode, bool count_include_pad,
                                CTorchStatus *status) {
  return make(status, [&] {
    return at::avg_pool2d(ref(input), ints(kernel, 2), ints(stride, 2), ints(padding, 2), ceil_mode,
                          count_include_pad);
  });
}

CTorchTensor *ctorch_adaptive_avg_pool2d(const CTorchTensor *input, const int64_t *output_size,
                                         CTorchStatus *status) {
  return make(status, [&] { return at::adaptive_avg_pool2d(ref(input), ints(output_size, 2)); });
}

CTorchTensor *ctorch_dropout(const CTorchTensor *input, double probability, bool training, CTorchStatus *status) {
  return make(status, [&] { return at::dropout(ref(input), probability, training); });
}

CTorchTensor *ctorch_resize(const CTorchTensor *input, const int64_t *size, int32_t mode, bool align_corners,
                            CTorchStatus *status) {
  return make(status, [&] {
    if (mode == 0) return at::upsample_bilinear2d(ref(input), ints(size, 2), align_corners);
    return at::upsample_nearest2d(ref(input), ints(size, 2));
  });
}

CTorchTensor *ctorch_affine_grid(const CTorchTensor *theta, const int64_t *size, int64_t ndim,
                                 bool align_corners, CTorchStatus *status) {
  return make(status, [&] { return at::affine_grid_generator(ref(theta), ints(size, ndim), align_corners); });
}

CTorchTensor *ctorch_grid_sample(const CTorchTensor *input, const CTorchTensor *grid, int32_t interpolation,
                                 int32_t padding, bool align_corners, CTorchStatus *status) {
  return make(status, [&] { return at::grid_sampler(ref(input), ref(grid), interpolation, padding, align_corners); });
}

CTorchTensor *ctorch_cross_entropy(const CTorchTensor *logits, const CTorchTensor *targets, CTorchStatus *status) {
  return make(status, [&] { return at::cross_entropy_loss(ref(logits), ref(targets)); });
}

void ctorch_copy_(CTorchTensor *destination, const CTorchTensor *source, CTorchStatus *status) {
  guard(status, [&] { destination->value.copy_(ref(source)); });
}

void ctorch_add_(CTorchTensor *destination, const CTorchTensor *other, double alpha, CTorchStatus *status) {
  guard(status, [&] {
    // ATen refuses a floating alpha for integer tensors (counters such as num_batches_tracked).
    if (at::isIntegralType(destination->value.scalar_type(), /*includeBool=*/false)) {
      destination->value.add_(ref(other), static_cast<int64_t>(alpha));
    } else {
      destination->value.add_(ref(other), alpha);
    }
  });
}

void ctorch_mul_scalar_(CTorchTensor *destination, double value, CTorchStatus *status) {
  guard(status, [&] { destination->value.mul_(value); });
}

void ctorch_addcmul_(CTorchTensor *destination, const CTorchTensor *a, const CTorchTensor *b, double value,
                     CTorchStatus *status) {
  guard(status, [&] { destination->value.addcmul_(ref(a), ref(b), value); });
}

void ctorch_addcdiv_(CTorchTensor *destination, const CTorchTensor *a, const CTorchTensor *b, double value,
                     CTorchStatus *status) {
  guard(status, [&] { destination->value.addcdiv_(ref(a), ref(b), value); });
}

}  // extern "C"
