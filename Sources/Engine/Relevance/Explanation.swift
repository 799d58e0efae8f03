import Torch

/// The per-sample quantity whose relevance a heatmap distributes over the input.
public enum Explanation: Sendable, Equatable {
  /// The logit of the given class for each sample of the batch.
  case classes([Int])
  /// The logit of each sample's predicted (top) class.
  case predicted
  /// Selective ISNet: η_c = log(p_c + εs) − log(1 − p_c + εs) of the lowest logit c, p = softmax(z).
  case selective(epsilon: Double)
  /// Stochastic ISNet: per sample, the top logit or another class, as drawn beforehand.
  case stochastic([StochasticPick])
  /// Original ISNet: one map per class, the logit of each class in turn.
  case everyClass

  /// The scalar seeds (each summed over the batch) whose gradients give the maps, and the class each
  /// sample's first map explains (nil for `.everyClass`).
  func seeds(logits: Tensor) throws -> (seeds: [Tensor], explained: [Int]?) {
    let (batch, classes) = (logits.shape[0], logits.shape[1])
    switch self {
    case .classes(let targets):
      guard targets.count == batch, targets.allSatisfy({ (0..<classes).contains($0) }) else {
        throw EngineError.invalidInput("\(targets.count) target classes in 0..<\(classes) needed for a batch of \(batch)")
      }
      return ([try selectedLogits(logits, targets).sum()], targets)
    case .predicted:
      let targets = try logits.argmax(dim: 1).values(as: Int64.self).map(Int.init)
      return ([try selectedLogits(logits, targets).sum()], targets)
    case .selective(let epsilon):
      let lowest = try logits.argmin(dim: 1, keepDims: true)
      let probability = try logits.softmax(dim: 1).gather(dim: 1, index: lowest)
      let eta = try (probability + epsilon).log() - (1.0 - probability + epsilon).log()
      return ([try eta.sum()], try lowest.values(as: Int64.self).map(Int.init))
    case .stochastic(let picks):
      guard picks.count == batch else {
        throw EngineError.invalidInput("\(picks.count) stochastic picks for a batch of \(batch)")
      }
      let top = try logits.argmax(dim: 1).values(as: Int64.self).map(Int.init)
      let targets = zip(picks, top).map { pick, top in pick.resolve(top: top, classCount: classes) }
      return ([try selectedLogits(logits, targets).sum()], targets)
    case .everyClass:
      return (try (0..<classes).map { try logits.narrowed(dim: 1, start: $0, length: 1).sum() }, nil)
    }
  }
}

/// z[b, targets[b]] for every sample b, shape [B].
func selectedLogits(_ logits: Tensor, _ targets: [Int]) throws -> Tensor {
  let index = try Tensor(targets.map(Int64.init), shape: [targets.count, 1])
  return try logits.gather(dim: 1, index: index).reshaped([targets.count])
}

/// One sample's draw for the Stochastic ISNet: its top class, or one of the others.
public enum StochasticPick: Sendable, Equatable {
  case top
  /// The `rank`-th of the K − 1 non-top classes in index order (rank in 0..<K−1).
  case other(rank: Int)

  /// Draws the top class with probability ½, otherwise one of the K − 1 others uniformly.
  public static func draw(classCount: Int, using generator: inout some RandomNumberGenerator) -> StochasticPick {
    Bool.random(using: &generator) ? .top : .other(rank: Int.random(in: 0..<(classCount - 1), using: &generator))
  }

  func resolve(top: Int, classCount: Int) -> Int {
    switch self {
    case .top: top
    case .other(let rank): rank < top ? rank : rank + 1
    }
  }
}
