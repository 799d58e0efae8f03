import Torch

/// One image's outcome in an evaluation.
public struct ImageOutcome: Codable, Sendable, Equatable {
  public var label: Int
  public var predicted: Int
  public var probabilities: [Double]
  /// Background share of the predicted class's heatmap.
  public var backgroundShare: Double
}

/// Metrics of a model on a labelled set, and the objective's mean losses when one was given.
public struct EvaluationResult: Sendable {
  public var metrics: ClassificationMetrics
  public var losses: LossValues?
  public var outcomes: [ImageOutcome]
}

/// Runs a classifier over a labelled set in eval mode: predictions, the LRP-Flex heatmap of each
/// predicted class and its background share, and optionally the training objective's losses.
public struct Evaluator {
  public var classNames: [String]
  public var batchSize: Int
  public var relevance: RelevanceSettings

  public init(classNames: [String], batchSize: Int = 16, relevance: RelevanceSettings = RelevanceSettings()) {
    self.classNames = classNames
    self.batchSize = batchSize
    self.relevance = relevance
  }

  public func evaluate(_ model: some Classifier, on dataset: some TrainingDataset, objective: Objective? = nil,
                       seed: UInt64 = 0) throws -> EvaluationResult {
    var generator = SeededGenerator(seed: seed)
    var outcomes: [ImageOutcome] = []
    var lossTotals: [LossValues] = []
    var lossWeights: [Double] = []
    let flex = LRPFlex(settings: relevance)
    for start in stride(from: 0, to: dataset.count, by: batchSize) {
      let indices = start..<Swift.min(start + batchSize, dataset.count)
      let batch = try dataset.batch(indices)
      if let objective {
        lossTotals.append(try objective.evaluate(model: model, batch: batch, training: false, using: &generator).values)
        lossWeights.append(Double(indices.count))
      }
      let heatmaps = try flex.heatmaps(of: model, input: batch.images, explaining: .predicted)
      let probabilities = try heatmaps.logits.softmax(dim: 1).values(as: Double.self)
      let shares = try backgroundShares(heatmaps: heatmaps.maps.squeezed(1), masks: batch.masks)
      for (offset, label) in batch.labelValues.enumerated() {
        let row = Array(probabilities[(offset * model.classCount)..<((offset + 1) * model.classCount)])
        outcomes.append(ImageOutcome(label: label, predicted: heatmaps.explainedClasses?[offset] ?? 0,
                                     probabilities: row, backgroundShare: shares[offset]))
      }
    }
    let metrics = ClassificationMetrics(probabilities: outcomes.map(\.probabilities), labels: outcomes.map(\.label),
                                        classNames: classNames, backgroundShares: outcomes.map(\.backgroundShare))
    return EvaluationResult(metrics: metrics, losses: weightedMean(lossTotals, weights: lossWeights), outcomes: outcomes)
  }
}

/// The sample-weighted mean of per-batch loss values.
func weightedMean(_ values: [LossValues], weights: [Double]) -> LossValues? {
  guard !values.isEmpty else { return nil }
  let total = weights.reduce(0, +)
  func mean(_ field: (LossValues) -> Double?) -> Double? {
    var sum = 0.0
    for (value, weight) in zip(values, weights) {
      guard let number = field(value) else { return nil }
      sum += number * weight
    }
    return sum / total
  }
  return LossValues(total: mean(\.total)!, crossEntropy: mean(\.crossEntropy)!, heatmap: mean(\.heatmap),
                    background: mean(\.background), foreground: mean(\.foreground),
                    backgroundInvariance: mean(\.backgroundInvariance))
}
