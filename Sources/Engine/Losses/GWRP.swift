public import Torch

/// Global weighted ranked pooling (Kolesnikov & Lampert 2016): the values sorted in descending order,
/// weighted by d^i and normalised, GWRP_d(v) = Σ d^i v_(i) / Σ d^i. d = 1 is the mean, d = 0 the
/// maximum (0^0 = 1); in between, the top k values carry a share 1 − d^k of the weight.
public struct GWRP: Sendable {
  public let decay: Double

  public init(decay: Double) {
    precondition((0...1).contains(decay), "GWRP decay must lie in [0, 1]")
    self.decay = decay
  }

  /// Pools the last dimension of `values`.
  public func callAsFunction(_ values: Tensor) throws -> Tensor {
    let count = values.shape.last ?? 1
    let sorted = try values.sorted(dim: -1, descending: true).values
    let weights = try Tensor(normalisedWeights(count: count), shape: [count]).to(values.dtype ?? .float32)
    return try (sorted * weights).sum(dims: [-1])
  }

  /// d^i / Σ d^j for i in 0..<count, computed in Double so long tails underflow to exact zeros.
  func normalisedWeights(count: Int) -> [Double] {
    var weights = [Double](repeating: 0, count: count)
    var power = 1.0
    for index in 0..<count {
      weights[index] = power
      power *= decay
      if power == 0 { break }
    }
    let total = weights.reduce(0, +)
    return weights.map { $0 / total }
  }
}
