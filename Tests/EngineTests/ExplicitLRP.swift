import Engine
import Torch

/// An explicit, layer-by-layer LRP for the small test networks, written independently of LRP-Flex: each
/// layer redistributes relevance with its own rule in the "z, s = R/z, c = ∂(z·s)/∂a, R = a·c" form of
/// Montavon's LRP tutorial (local gradients of one layer at a time, no modified global backward), and
/// max-pooling routes relevance to the window's winner with an explicit loop.
enum ExplicitLRP {
  /// ε-rule (or LRP-0 when epsilon is 0) for one affine layer `forward` at input `activation`.
  static func epsilonRule(_ activation: Tensor, relevance: Tensor, epsilon: Double,
                          _ forward: (Tensor) throws -> Tensor) throws -> Tensor {
    let input = try activation.detached().requiringGradient()
    let z = try forward(input)
    let stabilised = try epsilon == 0 ? z : z + (z.greaterOrEqual(0).to(.float64) * 2 - 1) * epsilon
    let zeroSafe = try Tensor.where(stabilised.equal(0), Tensor.ones(stabilised.shape, dtype: .float64), stabilised)
    let s = try (relevance / zeroSafe).detached()
    let c = try gradients(of: (z * s).sum(), wrt: [input])[0]
    return try input.detached() * c
  }

  /// z^B rule with bounds [low, high] for the first convolution.
  static func zBoxRule(_ x: Tensor, relevance: Tensor, conv: Conv2d, low: Double, high: Double, epsilon: Double) throws -> Tensor {
    let input = try x.detached().requiringGradient()
    let lowInput = try Tensor.full(x.shape, value: low, dtype: .float64).requiringGradient()
    let highInput = try Tensor.full(x.shape, value: high, dtype: .float64).requiringGradient()
    let (w, b) = (try conv.weight.detached(), try conv.bias?.detached())
    func convolve(_ t: Tensor, _ weight: Tensor, _ bias: Tensor?) throws -> Tensor {
      try t.conv2d(weight: weight, bias: bias, stride: conv.stride, padding: conv.padding)
    }
    let z = try convolve(input, w, b)
      - convolve(lowInput, w.clamp(min: 0), b.map { try $0.clamp(min: 0) * low })
      - convolve(highInput, w.clamp(max: 0), b.map { try $0.clamp(max: 0) * high })
    let stabilised = try z + (z.greaterOrEqual(0).to(.float64) * 2 - 1) * epsilon
    let s = try (relevance / stabilised).detached()
    let grads = try gradients(of: (z * s).sum(), wrt: [input, lowInput, highInput])
    return try input.detached() * grads[0] + lowInput.detached() * grads[1] + highInput.detached() * grads[2]
  }

  /// Winner-take-all through a max-pool: each window's relevance goes to its largest input (the first
  /// on ties), summed where windows overlap; padding never wins.
  static func maxPoolRule(_ activation: Tensor, relevance: Tensor, kernel: Int, stride: Int, padding: Int = 0) throws -> Tensor {
    let shape = activation.shape  // [B, C, H, W]
    let values = try activation.values(as: Double.self)
    let incoming = try relevance.values(as: Double.self)
    var result = [Double](repeating: 0, count: values.count)
    let (height, width) = (shape[2], shape[3])
    let (outHeight, outWidth) = (relevance.shape[2], relevance.shape[3])
    for plane in 0..<(shape[0] * shape[1]) {
      for row in 0..<outHeight {
        for column in 0..<outWidth {
          var winner = -1
          for dy in 0..<kernel {
            for dx in 0..<kernel {
              let (y, x) = (row * stride - padding + dy, column * stride - padding + dx)
              guard (0..<height).contains(y), (0..<width).contains(x) else { continue }
              let index = plane * height * width + y * width + x
              if winner < 0 || values[index] > values[winner] { winner = index }
            }
          }
          result[winner] += incoming[plane * outHeight * outWidth + row * outWidth + column]
        }
      }
    }
    return try Tensor(result, shape: shape)
  }

  /// `conv` followed by eval-mode `norm`, folded into one convolution with a bias (for the z^B rule).
  static func folded(_ conv: Conv2d, _ norm: BatchNorm2d) throws -> Conv2d {
    let (out, input) = (conv.weight.shape[0], conv.weight.shape[1])
    let folded = try Conv2d(input, out, kernel: conv.kernel, stride: conv.stride, padding: conv.padding, bias: true, dtype: .float64)
    let scale = try norm.weight / (norm.runningVariance + norm.eps).sqrt()
    try Torch.withoutGradient {
      try folded.weight.copy_(conv.weight * scale.reshaped([-1, 1, 1, 1]))
      try folded.bias!.copy_(norm.bias - norm.runningMean * scale)
    }
    return folded
  }

  /// Moves every BatchNorm of `model` off its initial statistics and affine map (seeded), so eval-mode
  /// BatchNorm is a non-trivial affine map in the comparison.
  static func randomiseBatchNorms(of model: some Layer) throws {
    try Torch.withoutGradient {
      for entry in model.state {
        let tensor = entry.tensor
        if entry.name.hasSuffix("running_mean") || (entry.name.hasSuffix(".bias") && tensor.shape.count == 1 && isNorm(entry.name)) {
          try tensor.copy_(Tensor.randn(tensor.shape).to(.float64) * 0.1)
        } else if entry.name.hasSuffix("running_var") || (entry.name.hasSuffix(".weight") && isNorm(entry.name)) {
          try tensor.copy_(Tensor.rand(tensor.shape).to(.float64) + 0.5)
        }
      }
    }
  }

  private static func isNorm(_ name: String) -> Bool {
    let layer = name.split(separator: ".").dropLast().last.map(String.init) ?? ""
    return layer.hasPrefix("norm") || layer.hasPrefix("bn") || name.contains("downsample.1")
  }
}

/// max |a − b| / max |b|: the largest difference relative to the reference's scale.
func maxRelativeDifference(_ a: Tensor, _ b: Tensor) throws -> Double {
  let (x, y) = (try a.values(as: Double.self), try b.values(as: Double.self))
  let scale = Swift.max(y.map(Swift.abs).max() ?? 0, 1e-300)
  return zip(x, y).map { Swift.abs($0 - $1) }.max()! / scale
}

/// The gradient of `objective` (float64, built with `createGraph` when asked) with respect to each of
/// `parameters` by autograd and by central finite differences (step 1e-6): max |autograd − numeric| /
/// max |numeric| per parameter, and that scale (which must be far from 0 for the comparison to mean
/// anything).
func finiteDifferenceErrors(of objective: (_ createGraph: Bool) throws -> Tensor,
                            wrt parameters: [Tensor]) throws -> [(relativeError: Double, scale: Double)] {
  let analytic = try gradients(of: objective(true), wrt: parameters)
  return try zip(parameters, analytic).map { parameter, gradient in
    let original = try parameter.values(as: Double.self)
    var numeric: [Double] = []
    let step = 1e-6
    for index in original.indices {
      func value(at offset: Double) throws -> Double {
        var shifted = original
        shifted[index] += offset
        try Torch.withoutGradient { try parameter.copy_(Tensor(shifted, shape: parameter.shape)) }
        return try objective(false).item()
      }
      numeric.append((try value(at: step) - value(at: -step)) / (2 * step))
    }
    try Torch.withoutGradient { try parameter.copy_(Tensor(original, shape: parameter.shape)) }
    let computed = try gradient.values(as: Double.self)
    let scale = numeric.map(Swift.abs).max()!
    return (zip(computed, numeric).map { Swift.abs($0 - $1) }.max()! / scale, scale)
  }
}
