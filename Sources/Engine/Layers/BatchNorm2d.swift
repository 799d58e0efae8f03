public import Torch

/// Batch normalisation over channels (torch.nn.BatchNorm2d) with its running statistics as buffers.
public final class BatchNorm2d: Layer {
  public let weight: Tensor
  public let bias: Tensor
  public let runningMean: Tensor
  public let runningVariance: Tensor
  public let batchesTracked: Tensor
  public let momentum: Double
  public let eps: Double

  public init(_ channels: Int, momentum: Double = 0.1, eps: Double = 1e-5, dtype: DType = .float32) throws {
    weight = try Tensor.ones([channels], dtype: dtype).requiringGradient()
    bias = try Tensor.zeros([channels], dtype: dtype).requiringGradient()
    runningMean = try Tensor.zeros([channels], dtype: dtype)
    runningVariance = try Tensor.ones([channels], dtype: dtype)
    batchesTracked = try Tensor.zeros([], dtype: .int64)
    self.momentum = momentum
    self.eps = eps
  }

  public var state: [StateEntry] {
    [
      StateEntry(name: "weight", tensor: weight, kind: .parameter),
      StateEntry(name: "bias", tensor: bias, kind: .parameter),
      StateEntry(name: "running_mean", tensor: runningMean, kind: .buffer),
      StateEntry(name: "running_var", tensor: runningVariance, kind: .buffer),
      StateEntry(name: "num_batches_tracked", tensor: batchesTracked, kind: .buffer),
    ]
  }

  public func callAsFunction(_ input: Tensor, _ mode: ForwardMode) throws -> Tensor {
    guard mode.usesBatchStatistics else {
      return try input.batchNorm(weight: weight, bias: bias, runningMean: runningMean,
                                 runningVariance: runningVariance, training: false, eps: eps)
    }
    try Torch.withoutGradient { try batchesTracked.add_(Tensor.ones([], dtype: .int64)) }
    let (normalised, mean, inverseDeviation) = try input.batchNormTraining(
      weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance, momentum: mode.batchNormMomentum ?? momentum, eps: eps)
    guard mode.relevance?.batchNorm == .detachedStatistics else { return normalised }
    // Same value, two gradient paths: ordinary backward passes follow BatchNorm with its batch
    // statistics; the relevance pass follows the affine map those statistics define, held constant.
    let scale = try weight * inverseDeviation.detached()
    let shift = try bias - mean.detached() * scale
    let constantStatistics = try input * scale.reshaped([1, -1, 1, 1]) + shift.reshaped([1, -1, 1, 1])
    return try normalised.switchingGradient(inLRPTo: constantStatistics)
  }

  /// The per-channel affine map y = scale·x + shift this layer applies in `mode`: running statistics in
  /// eval mode and frozen, the batch statistics of `input` in training mode (detached under
  /// `.detachedStatistics`). Used to fold BatchNorm into the convolution before it.
  public func affine(for input: Tensor, _ mode: ForwardMode) throws -> (scale: Tensor, shift: Tensor) {
    var mean = runningMean
    var variance = runningVariance
    if mode.usesBatchStatistics {
      mean = try input.mean(dims: [0, 2, 3])
      variance = try input.variance(dims: [0, 2, 3], unbiased: false)
      if mode.relevance?.batchNorm != .throughStatistics {
        mean = try mean.detached()
        variance = try variance.detached()
      }
    }
    let scale = try weight / (variance + eps).sqrt()
    return (scale, try bias - mean * scale)
  }
}
