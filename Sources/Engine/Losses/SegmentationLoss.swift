public import Torch

/// Weights of the segmentation loss.
public struct SegmentationLossConfiguration: Codable, Sendable, Equatable {
  /// Weight of the soft Dice loss of the foreground class.
  public var diceWeight: Double
  /// Weight of the per-pixel cross-entropy over all classes.
  public var crossEntropyWeight: Double
  /// s in (2Σpg + s) / (Σp + Σg + s): keeps the Dice defined (and 1) for an empty mask and an empty
  /// prediction.
  public var smoothing: Double

  /// Equal weights and smoothing 1 by default.
  public init(diceWeight: Double = 1, crossEntropyWeight: Double = 1, smoothing: Double = 1) {
    self.diceWeight = diceWeight
    self.crossEntropyWeight = crossEntropyWeight
    self.smoothing = smoothing
  }
}

/// The values of one evaluation of the segmentation loss.
public struct SegmentationLossValues: Codable, Sendable, Equatable {
  /// diceWeight · dice + crossEntropyWeight · crossEntropy.
  public var total: Double
  /// 1 − mean soft Dice of the foreground class.
  public var dice: Double
  /// Mean per-pixel cross-entropy.
  public var crossEntropy: Double

  /// The values of one evaluation.
  public init(total: Double, dice: Double, crossEntropy: Double) {
    self.total = total
    self.dice = dice
    self.crossEntropy = crossEntropy
  }
}

/// Soft Dice on the foreground (lung) class plus per-pixel cross-entropy, the usual loss of lung
/// U-Nets: cross-entropy gives every pixel a gradient from the start, Dice balances the classes (the
/// lungs cover a fifth to a third of a chest radiograph) and optimises the overlap that is reported.
///
/// For logits z [B, K, H, W] and a mask g [B, 1, H, W] (1 = foreground, class 1), p = softmax(z)₁:
///
///     dice_b = (2 Σ p·g + s) / (Σ p + Σ g + s)          (sums over one image's pixels)
///     loss   = wD · (1 − mean_b dice_b) + wCE · mean CE(z, g)
public struct SegmentationLoss: Sendable {
  /// The weights and smoothing.
  public var configuration: SegmentationLossConfiguration

  /// The loss with `configuration`.
  public init(_ configuration: SegmentationLossConfiguration = SegmentationLossConfiguration()) {
    self.configuration = configuration
  }

  /// The loss (differentiable) and its values.
  public func callAsFunction(logits: Tensor, masks: Tensor) throws -> (loss: Tensor, values: SegmentationLossValues) {
    let shape = logits.shape
    guard shape.count == 4, shape[1] >= 2, masks.shape == [shape[0], 1, shape[2], shape[3]] else {
      throw EngineError.invalidInput("segmentation loss needs logits [B, K ≥ 2, H, W] and masks [B, 1, H, W]; got \(shape) and \(masks.shape)")
    }
    let truth = try masks.greater(0.5).to(logits.dtype ?? .float32)
    let targets = try truth.squeezed(1).to(.int64)
    let crossEntropy = try logits.crossEntropy(targets: targets)
    let foreground = try logits.softmax(dim: 1).narrowed(dim: 1, start: 1, length: 1)
    let overlap = try (foreground * truth).sum(dims: [1, 2, 3])
    let sizes = try foreground.sum(dims: [1, 2, 3]) + truth.sum(dims: [1, 2, 3])
    let smoothing = configuration.smoothing
    let dice = try (overlap * 2 + smoothing) / (sizes + smoothing)
    let diceLoss = try 1.0 - dice.mean()
    let loss = try diceLoss * configuration.diceWeight + crossEntropy * configuration.crossEntropyWeight
    let values = SegmentationLossValues(total: try loss.item(), dice: try diceLoss.item(), crossEntropy: try crossEntropy.item())
    return (loss, values)
  }
}
