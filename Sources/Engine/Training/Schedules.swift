import Foundation

/// How the learning rate changes from epoch to epoch.
public enum LearningRateSchedule: Codable, Sendable, Equatable {
  /// The optimiser's rate throughout.
  case constant
  /// Cosine annealing from the optimiser's rate at the first epoch to `floor` × that rate at the
  /// last (PyTorch's CosineAnnealingLR stepped once per epoch with T_max = epochs − 1): large steps
  /// while the model finds its features, small ones that settle it, so the epoch chosen by validation
  /// is not an accident of the last noisy step.
  case cosine(floor: Double)

  /// The rate for 1-based `epoch` of `epochs`.
  public func rate(base: Double, epoch: Int, epochs: Int) -> Double {
    switch self {
    case .constant:
      return base
    case .cosine(let floor):
      guard epochs > 1 else { return base }
      let progress = Double(epoch - 1) / Double(epochs - 1)
      return base * (floor + (1 - floor) * (1 + cos(Double.pi * progress)) / 2)
    }
  }
}

/// How the heatmap loss weight P grows at the start of ISNet training (the authors' `increaseP`).
///
/// With `warmupEpochs` = n > 0, epoch e ≤ n trains with P × e / (n + 1) and later epochs with P. The
/// classifier first finds features through cross-entropy, then the heatmap loss moves them off the
/// background; a full P from the first step can instead flatten every heatmap before the classifier
/// has learned anything (cross-entropy stuck at chance). Validation always uses the full P, so the
/// losses of all epochs compare and warm-up epochs cannot win the model selection by a lower weight.
public struct HeatmapWeightSchedule: Codable, Sendable, Equatable {
  public var warmupEpochs: Int

  public init(warmupEpochs: Int = 0) {
    precondition(warmupEpochs >= 0, "warm-up epochs cannot be negative")
    self.warmupEpochs = warmupEpochs
  }

  /// P for 1-based `epoch`, given the final weight.
  public func weight(_ final: Double, epoch: Int) -> Double {
    epoch > warmupEpochs ? final : final * Double(epoch) / Double(warmupEpochs + 1)
  }
}
