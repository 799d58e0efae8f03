public import Torch

/// The z^B (box) rule of LRP for the first layer, whose inputs are bounded by [low, high]
/// (Montavon et al. 2017). With W⁺ = max(W, 0) and W⁻ = min(W, 0):
///
///     z = (W x + b) − (W⁺ l + b⁺ l) − (W⁻ h + b⁻ h),   z ← z + ε·sign(z), sign(0) = +1
///     R_x = x ⊙ Wᵀ(R/z) − l·W⁺ᵀ(R/z) − h·W⁻ᵀ(R/z)
///
/// As in the authors' code, b⁺ stays in the denominator when l = 0 (zennit's ZBox cancels it).
/// Built from differentiable operations, so a heatmap loss can be back-propagated through it.
public struct ZBoxRule: Sendable {
  public var low: Double
  public var high: Double
  public var epsilon: Double

  public init(low: Double = 0, high: Double = 1, epsilon: Double = 0.01) {
    self.low = low
    self.high = high
    self.epsilon = epsilon
  }

  /// Relevance of `input` given the relevance `outputRelevance` of the first layer's output (same
  /// shape as that output).
  public func relevance(input: Tensor, outputRelevance: Tensor, layer: FirstLayer) throws -> Tensor {
    let dtype = input.dtype ?? .float32
    // The two bound terms as (weight, bias, bound); a zero bound contributes nothing and is skipped.
    let bounds = try [
      (layer.weight.clamp(min: 0), layer.bias?.clamp(min: 0), low),
      (layer.weight.clamp(max: 0), layer.bias?.clamp(max: 0), high),
    ].filter { $0.2 != 0 }
    let boundShape = [1] + input.shape.dropFirst()

    switch layer.operation {
    case .convolution(let stride, let padding):
      var z = try input.conv2d(weight: layer.weight, bias: layer.bias, stride: stride, padding: padding)
      for (weight, bias, bound) in bounds {
        let constant = try Tensor.full(boundShape, value: bound, dtype: dtype)
        z = try z - constant.conv2d(weight: weight, bias: bias.map { try $0 * bound }, stride: stride, padding: padding)
      }
      let ratio = try outputRelevance / stabilised(z)
      // Wᵀ(R/z) and the bound terms' W⁺ᵀ(R/z), W⁻ᵀ(R/z) in one adjoint convolution (the convolution's
      // input gradient, exact in size), weights stacked along the input channels.
      let channels = input.shape[1]
      var stackedShape = input.shape
      stackedShape[1] = channels * (1 + bounds.count)
      let adjoint = try ratio.conv2dInputGradient(weight: Tensor.cat([layer.weight] + bounds.map(\.0), dim: 1),
                                                  inputShape: stackedShape, stride: stride, padding: padding)
      var relevance = try input * adjoint.narrowed(dim: 1, start: 0, length: channels)
      for (index, bound) in bounds.map(\.2).enumerated() {
        relevance = try relevance - adjoint.narrowed(dim: 1, start: (index + 1) * channels, length: channels) * bound
      }
      return relevance

    case .linear:
      var z = try input.linear(weight: layer.weight, bias: layer.bias)
      for (weight, bias, bound) in bounds {
        z = try z - Tensor.full(boundShape, value: bound, dtype: dtype).linear(weight: weight, bias: bias.map { try $0 * bound })
      }
      let ratio = try outputRelevance / stabilised(z)
      var relevance = try input * ratio.matmul(layer.weight)
      for (weight, _, bound) in bounds {
        relevance = try relevance - ratio.matmul(weight) * bound
      }
      return relevance
    }
  }

  /// z + ε·sign(z) with sign(0) = +1, so the denominator never vanishes.
  private func stabilised(_ z: Tensor) throws -> Tensor {
    let sign = try z.greaterOrEqual(0).to(z.dtype ?? .float32) * 2 - 1
    return try z + sign * epsilon
  }
}
