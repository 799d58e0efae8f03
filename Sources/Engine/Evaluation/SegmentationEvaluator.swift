import Torch

/// Metrics of a segmenter on a labelled set, the loss's mean values when a loss was given, and each
/// image's Dice coefficient.
public struct SegmentationEvaluation: Sendable {
  /// Dice summary and pixel accuracy.
  public var metrics: SegmentationMetrics
  /// Mean loss values over the set, when a loss was given.
  public var losses: SegmentationLossValues?
  /// Each image's Dice coefficient, in dataset order.
  public var dice: [Double]
}

/// Runs a segmenter over a labelled set in eval mode and compares its hard masks (the argmax class is
/// the foreground class) with the sets' masks, image by image.
public struct SegmentationEvaluator: Sendable {
  /// Images per forward pass.
  public var batchSize: Int
  /// The class whose mask is compared (1, the lungs).
  public var foregroundClass: Int

  /// An evaluator comparing the mask of `foregroundClass`.
  public init(batchSize: Int = 16, foregroundClass: Int = 1) {
    self.batchSize = batchSize
    self.foregroundClass = foregroundClass
  }

  /// Segments every image of `dataset` (eval mode, no gradients) and compares the hard masks with
  /// the dataset's masks; with `loss`, also its mean values.
  public func evaluate(_ model: some Segmenter, on dataset: some TrainingDataset,
                       loss: SegmentationLoss? = nil) throws -> SegmentationEvaluation {
    var dice: [Double] = []
    var correct = 0
    var total = 0
    var lossSums = (total: 0.0, dice: 0.0, crossEntropy: 0.0)
    try Torch.withoutGradient {
      for start in stride(from: 0, to: dataset.count, by: batchSize) {
        let indices = start..<Swift.min(start + batchSize, dataset.count)
        let batch = try dataset.batch(indices)
        let logits = try model.forward(batch.images, mode: .inference)
        if let loss {
          let values = try loss(logits: logits, masks: batch.masks).values
          let weight = Double(indices.count)
          lossSums.total += values.total * weight
          lossSums.dice += values.dice * weight
          lossSums.crossEntropy += values.crossEntropy * weight
        }
        let predicted = try logits.argmax(dim: 1).equal(Double(foregroundClass)).to(.float32)
        let truth = try batch.masks.squeezed(1).greater(0.5).to(.float32)
        let overlap = try (predicted * truth).sum(dims: [1, 2]).values(as: Double.self)
        let sizes = try (predicted.sum(dims: [1, 2]) + truth.sum(dims: [1, 2])).values(as: Double.self)
        for (intersection, size) in zip(overlap, sizes) { dice.append(size == 0 ? 1 : 2 * intersection / size) }
        correct += Int(try predicted.equal(truth).to(.int64).sum().item())
        total += predicted.count
      }
    }
    let count = Double(dataset.count)
    let losses = loss == nil || dataset.count == 0 ? nil
      : SegmentationLossValues(total: lossSums.total / count, dice: lossSums.dice / count,
                               crossEntropy: lossSums.crossEntropy / count)
    return SegmentationEvaluation(metrics: SegmentationMetrics(dice: dice, correctPixels: correct, totalPixels: total),
                                  losses: losses, dice: dice)
  }
}
