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
    let positive = try layer.weight.clamp(min: 0)
    let negative = try layer.weight.clamp(max: 0)
    let positiveBias = try layer.bias?.clamp(min: 0)
    let negativeBias = try layer.bias?.clamp(max: 0)
    let lowInput = try Tensor.full([1] + input.shape.dropFirst(), value: low, dtype: input.dtype ?? .float32)
    let highInput = try Tensor.full([1] + input.shape.dropFirst(), value: high, dtype: input.dtype ?? .float32)

    switch layer.operation {
    case .convolution(let stride, let padding):
      func forward(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?) throws -> Tensor {
        try x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
      }
      var z = try forward(input, layer.weight, layer.bias)
      z = try z - forward(lowInput, positive, positiveBias.map { try $0 * low })
      z = try z - forward(highInput, negative, negativeBias.map { try $0 * high })
      let ratio = try outputRelevance / stabilised(z)
      let outputPadding = Size2(
        outputPaddingFor(input: input.shape[2], output: z.shape[2], kernel: layer.weight.shape[2], stride: stride.height, padding: padding.height),
        outputPaddingFor(input: input.shape[3], output: z.shape[3], kernel: layer.weight.shape[3], stride: stride.width, padding: padding.width))
      func backward(_ weight: Tensor) throws -> Tensor {
        try ratio.convTranspose2d(weight: weight, bias: nil, stride: stride, padding: padding, outputPadding: outputPadding)
      }
      return try input * backward(layer.weight) - backward(positive) * low - backward(negative) * high

    case .linear:
      var z = try input.linear(weight: layer.weight, bias: layer.bias)
      z = try z - lowInput.linear(weight: positive, bias: positiveBias.map { try $0 * low })
      z = try z - highInput.linear(weight: negative, bias: negativeBias.map { try $0 * high })
      let ratio = try outputRelevance / stabilised(z)
      return try input * ratio.matmul(layer.weight) - ratio.matmul(positive) * low - ratio.matmul(negative) * high
    }
  }

  /// z + ε·sign(z) with sign(0) = +1, so the denominator never vanishes.
  private func stabilised(_ z: Tensor) throws -> Tensor {
    let sign = try z.greaterOrEqual(0).to(z.dtype ?? .float32) * 2 - 1
    return try z + sign * epsilon
  }
}

/// The output padding that makes a transposed convolution restore the input size exactly:
/// H_in − ((H_out − 1)·s − 2p + k).
func outputPaddingFor(input: Int, output: Int, kernel: Int, stride: Int, padding: Int) -> Int {
  input - ((output - 1) * stride - 2 * padding + kernel)
}
