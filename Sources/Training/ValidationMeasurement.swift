import Engine
public import Registry
public import Screening

/// Screening results of labelled images summed up as ``ValidationFigures``, one image at a time (so
/// the figures can come from a pass made for something else, such as calibration).
public struct ValidationTally {
  private var probabilities: [[Double]] = []
  private var labels: [Int] = []
  private var shares: [Double] = []
  private var images = 0

  public init() {}

  public mutating func add(_ item: LabeledFolder.Item, _ result: ScreeningResult) {
    images += 1
    guard case .analysed(let analysis) = result.outcome else { return }
    probabilities.append(analysis.classification.probabilities)
    labels.append(item.label)
    if let share = analysis.backgroundShare, share.isFinite { shares.append(share) }
  }

  /// Accuracy and macro F1 over the images that got a prediction, the mean background share over those
  /// with a plausible lung mask.
  public func figures(classNames: [String]) -> ValidationFigures {
    let predicted = probabilities.map { row in row.indices.max { row[$0] < row[$1] }! }
    return ValidationFigures(
      images: images, predicted: labels.count, correct: zip(predicted, labels).filter { $0 == $1 }.count,
      chanceAccuracy: ValidationFigures.chanceAccuracy(labels), macroF1: probabilities.isEmpty ? 0
        : ClassificationMetrics(probabilities: probabilities, labels: labels, classNames: classNames).macroF1,
      assessed: shares.count, backgroundShare: shares.isEmpty ? nil : shares.reduce(0, +) / Double(shares.count))
  }
}

extension ValidationFigures {
  /// Screens every image of `folder` (class folders named as the bundle's classes) as the daemon would,
  /// and tallies the figures.
  public static func measure(_ bundle: ModelBundle, on folder: LabeledFolder, batchSize: Int,
                             progress: (Int, Int) -> Void = { _, _ in }) -> ValidationFigures {
    var tally = ValidationTally()
    Pipeline(models: bundle.models, options: PipelineOptions(batchSize: batchSize)).screen(folder, progress: progress) { tally.add($0, $1) }
    return tally.figures(classNames: folder.classNames)
  }

  /// The share of the commonest label: the accuracy of always answering it.
  static func chanceAccuracy(_ labels: [Int]) -> Double {
    guard !labels.isEmpty else { return 0 }
    return Double(Dictionary(grouping: labels, by: { $0 }).values.map(\.count).max()!) / Double(labels.count)
  }
}
