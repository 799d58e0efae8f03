// CTorch: a C surface over libtorch (ATen + autograd) for Swift.
//
// Every function is noexcept: C++ exceptions are caught inside the bridge and reported through the
// caller-owned CTorchStatus. Functions that create a tensor return a new owned handle (free it with
// ctorch_free) or NULL with status->code != 0. No policy lives here: shapes, loops and rules are Swift's.
#ifndef CTORCH_H
#define CTORCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a bridge call. code 0 means success; otherwise message holds the C++ error text.
typedef struct CTorchStatus {
  int32_t code;  ///< 0 ok, 1 c10::Error, 2 std::exception, 3 unknown exception
  char message[2048];
} CTorchStatus;

enum {
  CTORCH_OK = 0,
  CTORCH_C10_ERROR = 1,
  CTORCH_STD_EXCEPTION = 2,
  CTORCH_UNKNOWN_EXCEPTION = 3,
};

/// Element types the bridge exchanges with Swift.
typedef enum CTorchDType {
  CTORCH_FLOAT32 = 0,
  CTORCH_FLOAT64 = 1,
  CTORCH_INT64 = 2,
  CTORCH_BOOL = 3,
  CTORCH_UINT8 = 4,
  CTORCH_OTHER = 99,
} CTorchDType;

typedef struct CTorchTensor CTorchTensor;

// MARK: - Library

const char *ctorch_version(void);
void ctorch_set_num_threads(int32_t threads);
int32_t ctorch_get_num_threads(void);
void ctorch_manual_seed(uint64_t seed);
/// Enables or disables gradient recording for the calling thread; returns the previous setting.
bool ctorch_set_grad_enabled(bool enabled);
bool ctorch_is_grad_enabled(void);

// MARK: - Lifetime and data

void ctorch_free(CTorchTensor *tensor);
/// Copies `data` (count = product of shape) into a new contiguous CPU tensor of `dtype`.
CTorchTensor *ctorch_from_data(const void *data, CTorchDType dtype, const int64_t *shape, int64_t ndim,
                               CTorchStatus *status);
int64_t ctorch_ndim(const CTorchTensor *tensor);
void ctorch_shape(const CTorchTensor *tensor, int64_t *shape);
int64_t ctorch_numel(const CTorchTensor *tensor);
CTorchDType ctorch_dtype(const CTorchTensor *tensor);
/// Converts to `dtype` and copies numel elements into `out` in row-major order.
void ctorch_copy_out(const CTorchTensor *tensor, CTorchDType dtype, void *out, int64_t count,
                     CTorchStatus *status);
double ctorch_item(const CTorchTensor *tensor, CTorchStatus *status);
CTorchTensor *ctorch_to_dtype(const CTorchTensor *tensor, CTorchDType dtype, CTorchStatus *status);
CTorchTensor *ctorch_clone(const CTorchTensor *tensor, CTorchStatus *status);
CTorchTensor *ctorch_contiguous(const CTorchTensor *tensor, CTorchStatus *status);

// MARK: - Factories

CTorchTensor *ctorch_full(const int64_t *shape, int64_t ndim, double value, CTorchDType dtype,
                          CTorchStatus *status);
CTorchTensor *ctorch_rand(const int64_t *shape, int64_t ndim, CTorchStatus *status);
CTorchTensor *ctorch_randn(const int64_t *shape, int64_t ndim, CTorchStatus *status);
CTorchTensor *ctorch_randint(int64_t low, int64_t high, const int64_t *shape, int64_t ndim,
                             CTorchStatus *status);
CTorchTensor *ctorch_randperm(int64_t n, CTorchStatus *status);
CTorchTensor *ctorch_arange(double start, double end, double step, CTorchDType dtype, CTorchStatus *status);

// MARK: - Autograd

void ctorch_set_requires_grad(CTorchTensor *tensor, bool requires, CTorchStatus *status);
bool ctorch_requires_grad(const CTorchTensor *tensor);
/// The accumulated .grad of a leaf, or NULL when it has none.
CTorchTensor *ctorch_grad(const CTorchTensor *tensor);
void ctorch_clear_grad(CTorchTensor *tensor);
CTorchTensor *ctorch_detach(const CTorchTensor *tensor, CTorchStatus *status);
void ctorch_backward(const CTorchTensor *tensor, const CTorchTensor *gradient, bool retain_graph,
                     bool create_graph, CTorchStatus *status);
/// torch::autograd::grad. `grad_outputs` may be NULL or hold NULL entries (ones). `results` receives
/// `input_count` handles; an unused input yields NULL when allow_unused is true.
void ctorch_autograd_grad(const CTorchTensor *const *outputs, const CTorchTensor *const *grad_outputs,
                          int64_t output_count, const CTorchTensor *const *inputs, int64_t input_count,
                          bool retain_graph, bool create_graph, bool allow_unused, CTorchTensor **results,
                          CTorchStatus *status);

// MARK: - Elementwise

CTorchTensor *ctorch_add(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_sub(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_mul(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_div(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_maximum(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_minimum(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_pow(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_gt(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_lt(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_ge(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_le(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_eq(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_matmul(const CTorchTensor *a, const CTorchTensor *b, CTorchStatus *status);
CTorchTensor *ctorch_where(const CTorchTensor *condition, const CTorchTensor *a, const CTorchTensor *b,
                           CTorchStatus *status);

CTorchTensor *ctorch_add_scalar(const CTorchTensor *a, double value, CTorchStatus *status);
CTorchTensor *ctorch_mul_scalar(const CTorchTensor *a, double value, CTorchStatus *status);
CTorchTensor *ctorch_pow_scalar(const CTorchTensor *a, double exponent, CTorchStatus *status);
CTorchTensor *ctorch_rsub_scalar(const CTorchTensor *a, double value, CTorchStatus *status);
CTorchTensor *ctorch_gt_scalar(const CTorchTensor *a, double value, CTorchStatus *status);
CTorchTensor *ctorch_lt_scalar(const CTorchTensor *a, double value, CTorchStatus *status);
CTorchTensor *ctorch_ge_scalar(const CTorchTensor *a, double value, CTorchStatus *status);
CTorchTensor *ctorch_eq_scalar(const CTorchTensor *a, double value, CTorchStatus *status);
CTorchTensor *ctorch_clamp(const CTorchTensor *a, double min, double max, CTorchStatus *status);
CTorchTensor *ctorch_clamp_min(const CTorchTensor *a, double min, CTorchStatus *status);
CTorchTensor *ctorch_clamp_max(const CTorchTensor *a, double max, CTorchStatus *status);
CTorchTensor *ctorch_nan_to_num(const CTorchTensor *a, double nan, double posinf, double neginf,
                                CTorchStatus *status);

CTorchTensor *ctorch_neg(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_abs(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_exp(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_log(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_log1p(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_sqrt(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_square(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_sign(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_relu(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_sigmoid(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_tanh(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_floor(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_round(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_isnan(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_isinf(const CTorchTensor *a, CTorchStatus *status);

/// ReLU with a switchable backward. While LRP backward mode is on (see ctorch_set_lrp_backward) its
/// backward multiplies the incoming gradient by y/(y+eps), y being the output, instead of 1[x>0]: the
/// LRP-epsilon rule written as a modified gradient (LRP-Flex). The factor is built from differentiable
/// ops on y = relu(x), so double backward sees the true ReLU derivative through y.
CTorchTensor *ctorch_lrp_relu(const CTorchTensor *a, double eps, CTorchStatus *status);
/// The value of `ordinary`; the backward sends the gradient to `ordinary` outside LRP backward mode and
/// to `relevance` inside it. Lets one forward graph hold a path that only relevance passes follow (the
/// affine map of train-mode BatchNorm with constant batch statistics).
CTorchTensor *ctorch_lrp_gradient_switch(const CTorchTensor *ordinary, const CTorchTensor *relevance,
                                         CTorchStatus *status);
/// Turns LRP backward mode on or off for backward passes run by the calling thread; returns the
/// previous setting. Ordinary training backward passes must run with it off.
bool ctorch_set_lrp_backward(bool enabled);

// MARK: - Reductions

CTorchTensor *ctorch_sum(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_sum_dims(const CTorchTensor *a, const int64_t *dims, int64_t count, bool keepdim,
                              CTorchStatus *status);
CTorchTensor *ctorch_mean(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_mean_dims(const CTorchTensor *a, const int64_t *dims, int64_t count, bool keepdim,
                               CTorchStatus *status);
CTorchTensor *ctorch_var_dims(const CTorchTensor *a, const int64_t *dims, int64_t count, bool unbiased,
                              bool keepdim, CTorchStatus *status);
CTorchTensor *ctorch_amax_dims(const CTorchTensor *a, const int64_t *dims, int64_t count, bool keepdim,
                               CTorchStatus *status);
CTorchTensor *ctorch_amin_dims(const CTorchTensor *a, const int64_t *dims, int64_t count, bool keepdim,
                               CTorchStatus *status);
CTorchTensor *ctorch_max(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_min(const CTorchTensor *a, CTorchStatus *status);
CTorchTensor *ctorch_argmax(const CTorchTensor *a, int64_t dim, bool keepdim, CTorchStatus *status);
CTorchTensor *ctorch_argmin(const CTorchTensor *a, int64_t dim, bool keepdim, CTorchStatus *status);
/// Sorts along `dim`; writes the values to *values and the int64 indices to *indices.
void ctorch_sort(const CTorchTensor *a, int64_t dim, bool descending, CTorchTensor **values,
                 CTorchTensor **indices, CTorchStatus *status);
CTorchTensor *ctorch_softmax(const CTorchTensor *a, int64_t dim, CTorchStatus *status);
CTorchTensor *ctorch_log_softmax(const CTorchTensor *a, int64_t dim, CTorchStatus *status);
CTorchTensor *ctorch_cumsum(const CTorchTensor *a, int64_t dim, CTorchStatus *status);

// MARK: - Shape and indexing

CTorchTensor *ctorch_reshape(const CTorchTensor *a, const int64_t *shape, int64_t ndim, CTorchStatus *status);
CTorchTensor *ctorch_permute(const CTorchTensor *a, const int64_t *dims, int64_t ndim, CTorchStatus *status);
CTorchTensor *ctorch_transpose(const CTorchTensor *a, int64_t dim0, int64_t dim1, CTorchStatus *status);
CTorchTensor *ctorch_expand(const CTorchTensor *a, const int64_t *shape, int64_t ndim, CTorchStatus *status);
CTorchTensor *ctorch_repeat(const CTorchTensor *a, const int64_t *repeats, int64_t ndim, CTorchStatus *status);
CTorchTensor *ctorch_unsqueeze(const CTorchTensor *a, int64_t dim, CTorchStatus *status);
CTorchTensor *ctorch_squeeze_dim(const CTorchTensor *a, int64_t dim, CTorchStatus *status);
CTorchTensor *ctorch_flip(const CTorchTensor *a, const int64_t *dims, int64_t count, CTorchStatus *status);
CTorchTensor *ctorch_narrow(const CTorchTensor *a, int64_t dim, int64_t start, int64_t length,
                            CTorchStatus *status);
CTorchTensor *ctorch_cat(const CTorchTensor *const *tensors, int64_t count, int64_t dim, CTorchStatus *status);
CTorchTensor *ctorch_stack(const CTorchTensor *const *tensors, int64_t count, int64_t dim, CTorchStatus *status);
CTorchTensor *ctorch_index_select(const CTorchTensor *a, int64_t dim, const CTorchTensor *index,
                                  CTorchStatus *status);
CTorchTensor *ctorch_gather(const CTorchTensor *a, int64_t dim, const CTorchTensor *index, CTorchStatus *status);
CTorchTensor *ctorch_one_hot(const CTorchTensor *indices, int64_t classes, CTorchStatus *status);
CTorchTensor *ctorch_constant_pad(const CTorchTensor *a, const int64_t *pad, int64_t count, double value,
                                  CTorchStatus *status);

// MARK: - Neural-network functions

/// `bias` may be NULL. stride, padding and dilation hold (height, width).
CTorchTensor *ctorch_conv2d(const CTorchTensor *input, const CTorchTensor *weight, const CTorchTensor *bias,
                            const int64_t *stride, const int64_t *padding, const int64_t *dilation,
                            int64_t groups, CTorchStatus *status);
CTorchTensor *ctorch_conv_transpose2d(const CTorchTensor *input, const CTorchTensor *weight,
                                      const CTorchTensor *bias, const int64_t *stride, const int64_t *padding,
                                      const int64_t *output_padding, int64_t groups, const int64_t *dilation,
                                      CTorchStatus *status);
/// The gradient of a 2-D convolution with respect to its input of shape `input_shape` [N, C, H, W],
/// for `grad_output` [N, O, H', W'] (at::convolution_backward with only the input gradient): the
/// adjoint of conv2d, as conv_transpose2d computes it, exact in size and several times faster on CPU in
/// libtorch 1.13. Differentiable (double backward).
CTorchTensor *ctorch_conv2d_input_gradient(const CTorchTensor *grad_output, const CTorchTensor *weight,
                                           const int64_t *input_shape, const int64_t *stride, const int64_t *padding,
                                           const int64_t *dilation, int64_t groups, CTorchStatus *status);
CTorchTensor *ctorch_linear(const CTorchTensor *input, const CTorchTensor *weight, const CTorchTensor *bias,
                            CTorchStatus *status);
/// at::batch_norm. weight, bias, running_mean and running_var may be NULL; in training mode the running
/// statistics are updated in place.
CTorchTensor *ctorch_batch_norm(const CTorchTensor *input, const CTorchTensor *weight, const CTorchTensor *bias,
                                CTorchTensor *running_mean, CTorchTensor *running_var, bool training,
                                double momentum, double eps, CTorchStatus *status);
/// Train-mode batch normalisation (at::native_batch_norm): writes the output, the batch mean and the
/// inverse standard deviation 1/sqrt(var + eps) used, and updates the running statistics in place.
void ctorch_batch_norm_training(const CTorchTensor *input, const CTorchTensor *weight, const CTorchTensor *bias,
                                CTorchTensor *running_mean, CTorchTensor *running_var, double momentum, double eps,
                                CTorchTensor **output, CTorchTensor **mean, CTorchTensor **inverse_std,
                                CTorchStatus *status);
CTorchTensor *ctorch_max_pool2d(const CTorchTensor *input, const int64_t *kernel, const int64_t *stride,
                                const int64_t *padding, bool ceil_mode, CTorchStatus *status);
CTorchTensor *ctorch_avg_pool2d(const CTorchTensor *input, const int64_t *kernel, const int64_t *stride,
                                const int64_t *padding, bool ceil_mode, bool count_include_pad,
                                CTorchStatus *status);
CTorchTensor *ctorch_adaptive_avg_pool2d(const CTorchTensor *input, const int64_t *output_size,
                                         CTorchStatus *status);
CTorchTensor *ctorch_dropout(const CTorchTensor *input, double probability, bool training, CTorchStatus *status);
/// Bilinear (mode 0) or nearest (mode 1) resampling to (height, width).
CTorchTensor *ctorch_resize(const CTorchTensor *input, const int64_t *size, int32_t mode, bool align_corners,
                            CTorchStatus *status);
CTorchTensor *ctorch_affine_grid(const CTorchTensor *theta, const int64_t *size, int64_t ndim,
                                 bool align_corners, CTorchStatus *status);
/// interpolation: 0 bilinear, 1 nearest; padding: 0 zeros, 1 border, 2 reflection.
CTorchTensor *ctorch_grid_sample(const CTorchTensor *input, const CTorchTensor *grid, int32_t interpolation,
                                 int32_t padding, bool align_corners, CTorchStatus *status);
/// Mean softmax cross-entropy of logits [N, K] against int64 class indices [N].
CTorchTensor *ctorch_cross_entropy(const CTorchTensor *logits, const CTorchTensor *targets, CTorchStatus *status);

// MARK: - In-place updates (optimisers, running statistics); call with gradients disabled

void ctorch_copy_(CTorchTensor *destination, const CTorchTensor *source, CTorchStatus *status);
void ctorch_add_(CTorchTensor *destination, const CTorchTensor *other, double alpha, CTorchStatus *status);
void ctorch_mul_scalar_(CTorchTensor *destination, double value, CTorchStatus *status);
void ctorch_addcmul_(CTorchTensor *destination, const CTorchTensor *a, const CTorchTensor *b, double value,
                     CTorchStatus *status);
void ctorch_addcdiv_(CTorchTensor *destination, const CTorchTensor *a, const CTorchTensor *b, double value,
                     CTorchStatus *status);

#ifdef __cplusplus
}
#endif

#endif
