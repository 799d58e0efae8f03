public import Engine
public import Registry
public import Screening

extension ValidationFigures {
  /// Screens every image of `folder` (class folders named as the bundle's classes) as the daemon would,
  /// and summarises: accuracy and macro F1 over the images that got a prediction, and the mean
  /// background share over those with a plausible lung mask.
  public static func measure(_ bundle: ModelBundle, on folder: LabeledFolder, batchSize: Int,
                             progress: (Int, Int) -> Void = { _, _ in }) -> ValidationFigures {
    var probabilities: [[Double]] = []
    var labels: [Int] = []
    var shares: [Double] = []
    Pipeline(models: bundle.models, options: PipelineOptions(batchSize: batchSize)).screen(folder, progress: progress) { item, result in
      guard case .analysed(let analysis) = result.outcome else { return }
      probabilities.append(analysis.classification.probabilities)
      labels.append(item.label)
      if let share = analysis.backgroundShare, share.isFinite { shares.append(share) }
    }
    let predicted = probabilities.map { row in row.indices.max { row[$0] < row[$1] }! }
    return ValidationFigures(
      images: folder.items.count, predicted: labels.count, correct: zip(predicted, labels).filter { $0 == $1 }.count,
      chanceAccuracy: chanceAccuracy(labels), macroF1: probabilities.isEmpty ? 0
        : ClassificationMetrics(probabilities: probabilities, labels: labels, classNames: folder.classNames).macroF1,
      assessed: shares.count, backgroundShare: shares.isEmpty ? nil : shares.reduce(0, +) / Double(shares.count))
  }

  /// The share of the commonest label: the accuracy of always answering it.
  static func chanceAccuracy(_ labels: [Int]) -> Double {
    guard !labels.isEmpty else { return 0 }
    return Double(Dictionary(grouping: labels, by: { $0 }).values.map(\.count).max()!) / Double(labels.count)
  }
}
