/// The Dice coefficient 2|P ∩ T| / (|P| + |T|) of a predicted and a true binary mask of the same size:
/// 1 for a perfect prediction, 0 when they do not overlap. Two empty masks agree perfectly (1).
public func diceCoefficient(predicted: [Bool], truth: [Bool]) -> Double {
  precondition(predicted.count == truth.count, "masks must have the same size")
  var overlap = 0
  var total = 0
  for (p, t) in zip(predicted, truth) {
    if p && t { overlap += 1 }
    if p { total += 1 }
    if t { total += 1 }
  }
  return total == 0 ? 1 : Double(2 * overlap) / Double(total)
}

/// The Dice coefficient of masks given as values, foreground where a value is above 0.5.
public func diceCoefficient(predicted: [Float], truth: [Float]) -> Double {
  diceCoefficient(predicted: predicted.map { $0 > 0.5 }, truth: truth.map { $0 > 0.5 })
}

/// How well a segmenter's hard masks (argmax of its logits) match the true masks of a labelled set.
public struct SegmentationMetrics: Codable, Sendable, Equatable {
  /// Images measured.
  public var count: Int
  /// Mean of the per-image Dice coefficients of the foreground (lung) class.
  public var meanDice: Double
  /// Median of the per-image Dice coefficients.
  public var medianDice: Double
  /// The worst image's Dice coefficient.
  public var minimumDice: Double
  /// Share of all pixels labelled correctly.
  public var pixelAccuracy: Double

  /// Summarises per-image Dice coefficients and the pixel counts behind the accuracy.
  public init(dice: [Double], correctPixels: Int, totalPixels: Int) {
    let sorted = dice.sorted()
    count = dice.count
    meanDice = dice.isEmpty ? 0 : dice.reduce(0, +) / Double(dice.count)
    if sorted.isEmpty {
      medianDice = 0
    } else if sorted.count % 2 == 1 {
      medianDice = sorted[sorted.count / 2]
    } else {
      medianDice = (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
    minimumDice = sorted.first ?? 0
    pixelAccuracy = totalPixels > 0 ? Double(correctPixels) / Double(totalPixels) : 0
  }
}
