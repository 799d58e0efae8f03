internal import CTorch

/// Height and width of a 2-D window, stride or padding.
public struct Size2: Sendable, Equatable, Codable {
  public var height: Int
  public var width: Int

  public init(_ height: Int, _ width: Int) {
    self.height = height
    self.width = width
  }

  public init(_ both: Int) { self.init(both, both) }

  var dims: [Int64] { [Int64(height), Int64(width)] }
}

/// Lends several Size2 values to a bridge call as (height, width) Int64 pairs.
@inline(__always)
func withPairs<Result>(
  _ a: Size2, _ b: Size2, _ c: Size2,
  _ body: (UnsafePointer<Int64>, UnsafePointer<Int64>, UnsafePointer<Int64>) throws(TorchError) -> Result
) throws(TorchError) -> Result {
  let values = a.dims + b.dims + c.dims
  return try values.withUnsafeBufferPointer { (buffer) throws(TorchError) -> Result in
    let base = buffer.baseAddress!
    return try body(base, base + 2, base + 4)
  }
}

/// Neural-network functions, as torch.nn.functional.
extension Tensor {
  /// 2-D convolution of an [N, C, H, W] input with [O, C/groups, kH, kW] weights.
  public func conv2d(weight: Tensor, bias: Tensor?, stride: Size2 = Size2(1), padding: Size2 = Size2(0),
                     dilation: Size2 = Size2(1), groups: Int = 1) throws(TorchError) -> Tensor {
    try withExtendedLifetime((weight, bias)) { () throws(TorchError) -> Tensor in
      try withPairs(stride, padding, dilation) { s, p, d throws(TorchError) in
        try makeTensor { ctorch_conv2d(handle, weight.handle, bias?.handle, s, p, d, Int64(groups), $0) }
      }
    }
  }

  /// Transposed convolution (the adjoint of `conv2d` with the same weight, stride and padding).
  public func convTranspose2d(weight: Tensor, bias: Tensor?, stride: Size2 = Size2(1), padding: Size2 = Size2(0),
                              outputPadding: Size2 = Size2(0), dilation: Size2 = Size2(1),
                              groups: Int = 1) throws(TorchError) -> Tensor {
    try withExtendedLifetime((weight, bias)) { () throws(TorchError) -> Tensor in
      try withPairs(stride, padding, outputPadding) { s, p, o throws(TorchError) in
        try dilation.dims.withUnsafeBufferPointer { (d) throws(TorchError) -> Tensor in
          try makeTensor { ctorch_conv_transpose2d(handle, weight.handle, bias?.handle, s, p, o, Int64(groups), d.baseAddress, $0) }
        }
      }
    }
  }

  /// The gradient of `conv2d` with respect to an input of `inputShape` [N, C, H, W], for this tensor as
  /// the output gradient [N, O, H', W']: the adjoint of the convolution (what `convTranspose2d`
  /// computes, with the size given exactly, and much faster in libtorch 1.13). Differentiable.
  public func conv2dInputGradient(weight: Tensor, inputShape: [Int], stride: Size2 = Size2(1), padding: Size2 = Size2(0),
                                  dilation: Size2 = Size2(1), groups: Int = 1) throws(TorchError) -> Tensor {
    guard inputShape.count == 4 else { throw .invalidArgument("input shape must be [N, C, H, W], got \(inputShape)") }
    let shape = inputShape.map(Int64.init)
    return try withExtendedLifetime(weight) { () throws(TorchError) -> Tensor in
      try withPairs(stride, padding, dilation) { s, p, d throws(TorchError) in
        try shape.withUnsafeBufferPointer { (dims) throws(TorchError) -> Tensor in
          try makeTensor { ctorch_conv2d_input_gradient(handle, weight.handle, dims.baseAddress, s, p, d, Int64(groups), $0) }
        }
      }
    }
  }

  /// x Wᵀ + b for [..., in] inputs and [out, in] weights.
  public func linear(weight: Tensor, bias: Tensor?) throws(TorchError) -> Tensor {
    try withExtendedLifetime((weight, bias)) { () throws(TorchError) -> Tensor in
      try makeTensor { ctorch_linear(handle, weight.handle, bias?.handle, $0) }
    }
  }

  /// Batch normalisation over the channel axis. In training mode batch statistics are used and the
  /// running statistics are updated in place with `momentum`.
  public func batchNorm(weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVariance: Tensor?,
                        training: Bool, momentum: Double = 0.1, eps: Double = 1e-5) throws(TorchError) -> Tensor {
    try withExtendedLifetime((weight, bias, runningMean, runningVariance)) { () throws(TorchError) -> Tensor in
      try makeTensor {
        ctorch_batch_norm(handle, weight?.handle, bias?.handle, runningMean?.handle, runningVariance?.handle,
                          training, momentum, eps, $0)
      }
    }
  }

  public func maxPool2d(kernel: Size2, stride: Size2, padding: Size2 = Size2(0), ceilMode: Bool = false) throws(TorchError) -> Tensor {
    try withPairs(kernel, stride, padding) { k, s, p throws(TorchError) in
      try makeTensor { ctorch_max_pool2d(handle, k, s, p, ceilMode, $0) }
    }
  }

  public func avgPool2d(kernel: Size2, stride: Size2, padding: Size2 = Size2(0), ceilMode: Bool = false,
                        countIncludePad: Bool = true) throws(TorchError) -> Tensor {
    try withPairs(kernel, stride, padding) { k, s, p throws(TorchError) in
      try makeTensor { ctorch_avg_pool2d(handle, k, s, p, ceilMode, countIncludePad, $0) }
    }
  }

  public func adaptiveAvgPool2d(_ size: Size2) throws(TorchError) -> Tensor {
    try size.dims.withUnsafeBufferPointer { (dims) throws(TorchError) -> Tensor in
      try makeTensor { ctorch_adaptive_avg_pool2d(handle, dims.baseAddress, $0) }
    }
  }

  public func dropout(probability: Double, training: Bool) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_dropout(handle, probability, training, $0) }
  }

  public enum Interpolation: Int32, Sendable { case bilinear = 0, nearest = 1 }
  public enum GridPadding: Int32, Sendable { case zeros = 0, border = 1, reflection = 2 }

  /// Resamples an [N, C, H, W] tensor to `size`.
  public func resized(to size: Size2, interpolation: Interpolation, alignCorners: Bool = false) throws(TorchError) -> Tensor {
    try size.dims.withUnsafeBufferPointer { (dims) throws(TorchError) -> Tensor in
      try makeTensor { ctorch_resize(handle, dims.baseAddress, interpolation.rawValue, alignCorners, $0) }
    }
  }

  /// Sampling grid for [N, 2, 3] affine matrices and an output of `size` ([N, C, H, W]).
  public static func affineGrid(theta: Tensor, size: [Int], alignCorners: Bool = false) throws(TorchError) -> Tensor {
    try withExtendedLifetime(theta) { () throws(TorchError) -> Tensor in
      try withDims(size) { dims, rank throws(TorchError) in
        try makeTensor { ctorch_affine_grid(theta.handle, dims, rank, alignCorners, $0) }
      }
    }
  }

  public func gridSample(_ grid: Tensor, interpolation: Interpolation, padding: GridPadding,
                         alignCorners: Bool = false) throws(TorchError) -> Tensor {
    try withExtendedLifetime(grid) { () throws(TorchError) -> Tensor in
      try makeTensor { ctorch_grid_sample(handle, grid.handle, interpolation.rawValue, padding.rawValue, alignCorners, $0) }
    }
  }

  /// Mean softmax cross-entropy of [N, K] logits against int64 class indices [N].
  public func crossEntropy(targets: Tensor) throws(TorchError) -> Tensor {
    try apply(ctorch_cross_entropy, targets)
  }

  /// ReLU whose backward follows the LRP-ε rule while `Torch.withLRPBackward` is active
  /// (gradient × y/(y+ε)), and the ordinary ReLU derivative otherwise. Supports double backward.
  public func lrpReLU(epsilon: Double) throws(TorchError) -> Tensor {
    try makeTensor { ctorch_lrp_relu(handle, epsilon, $0) }
  }

  /// This tensor's value, whose gradient goes to `self` outside `Torch.withLRPBackward` and to
  /// `relevancePath` inside it.
  public func switchingGradient(inLRPTo relevancePath: Tensor) throws(TorchError) -> Tensor {
    try apply(ctorch_lrp_gradient_switch, relevancePath)
  }

  /// Train-mode batch normalisation that also returns the batch mean and 1/sqrt(var + eps) it used;
  /// updates the running statistics in place.
  public func batchNormTraining(weight: Tensor?, bias: Tensor?, runningMean: Tensor?, runningVariance: Tensor?,
                                momentum: Double = 0.1, eps: Double = 1e-5) throws(TorchError)
    -> (output: Tensor, mean: Tensor, inverseStandardDeviation: Tensor) {
    var output: OpaquePointer?
    var mean: OpaquePointer?
    var inverse: OpaquePointer?
    try withExtendedLifetime((weight, bias, runningMean, runningVariance)) { () throws(TorchError) in
      try withTorchStatus {
        ctorch_batch_norm_training(handle, weight?.handle, bias?.handle, runningMean?.handle, runningVariance?.handle,
                                   momentum, eps, &output, &mean, &inverse, $0)
      }
    }
    guard let output, let mean, let inverse else { throw TorchError(code: .unknown, message: "batch norm returned nothing") }
    return (Tensor(owning: output), Tensor(owning: mean), Tensor(owning: inverse))
  }
}
