/// Precision, recall and F1 of one class, one-vs-rest AUC, and its support.
public struct ClassMetrics: Codable, Sendable, Equatable {
  public var name: String
  public var precision: Double
  public var recall: Double
  public var f1: Double
  /// One-vs-rest ROC AUC of this class's probability; nil when the class or its complement is absent.
  public var auc: Double?
  public var support: Int
}

/// Summary statistics of a per-image quantity.
public struct Summary: Codable, Sendable, Equatable {
  public var mean: Double
  public var median: Double
  public var p90: Double
  public var count: Int

  public init?(_ values: [Double]) {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    mean = values.reduce(0, +) / Double(values.count)
    median = Self.quantile(sorted, 0.5)
    p90 = Self.quantile(sorted, 0.9)
    count = values.count
  }

  /// The `q`-quantile (0...1) of ascending `sorted` values by linear interpolation between the two
  /// nearest ranks (NumPy's default "linear" method).
  public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
    precondition(!sorted.isEmpty && (0...1).contains(q), "a quantile in [0, 1] of at least one value")
    let position = q * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = Swift.min(lower + 1, sorted.count - 1)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
  }
}

/// How well a classifier did on a labelled set, and how much of its relevance fell on the background.
public struct ClassificationMetrics: Codable, Sendable, Equatable {
  public var count: Int
  public var accuracy: Double
  public var macroF1: Double
  public var classes: [ClassMetrics]
  /// confusion[true][predicted]
  public var confusion: [[Int]]
  /// Σ|H|·(1 − M)/Σ|H| of the explained class, per image summarised; nil when not measured.
  public var backgroundShare: Summary?

  /// - Parameters:
  ///   - probabilities: one row of class probabilities per image.
  ///   - labels: the true class of each image.
  ///   - backgroundShares: per-image background-attention shares, if measured.
  public init(probabilities: [[Double]], labels: [Int], classNames: [String], backgroundShares: [Double]? = nil) {
    let classCount = classNames.count
    precondition(probabilities.count == labels.count, "one probability row per label")
    var confusion = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
    for (row, label) in zip(probabilities, labels) {
      let predicted = row.indices.max { row[$0] < row[$1] } ?? 0
      confusion[label][predicted] += 1
    }
    let total = labels.count
    let correct = (0..<classCount).reduce(0) { $0 + confusion[$1][$1] }
    classes = (0..<classCount).map { index in
      let truePositives = Double(confusion[index][index])
      let predictedCount = Double((0..<classCount).reduce(0) { $0 + confusion[$1][index] })
      let support = confusion[index].reduce(0, +)
      let precision = predictedCount > 0 ? truePositives / predictedCount : 0
      let recall = support > 0 ? truePositives / Double(support) : 0
      let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
      let scores = probabilities.map { $0[index] }
      let positives = labels.map { $0 == index }
      return ClassMetrics(name: classNames[index], precision: precision, recall: recall, f1: f1,
                          auc: rocAUC(scores: scores, positives: positives), support: support)
    }
    count = total
    accuracy = total > 0 ? Double(correct) / Double(total) : 0
    macroF1 = classes.isEmpty ? 0 : classes.map(\.f1).reduce(0, +) / Double(classes.count)
    self.confusion = confusion
    backgroundShare = backgroundShares.flatMap(Summary.init)
  }
}

/// ROC AUC by the Mann-Whitney statistic, ties counted as one half; nil without both classes.
func rocAUC(scores: [Double], positives: [Bool]) -> Double? {
  let positiveCount = positives.filter { $0 }.count
  let negativeCount = positives.count - positiveCount
  guard positiveCount > 0, negativeCount > 0 else { return nil }
  let order = scores.indices.sorted { scores[$0] < scores[$1] }
  var rankSum = 0.0
  var start = 0
  while start < order.count {
    var end = start
    while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
    let averageRank = Double(start + end) / 2 + 1
    for position in start...end where positives[order[position]] { rankSum += averageRank }
    start = end + 1
  }
  let u = rankSum - Double(positiveCount * (positiveCount + 1)) / 2
  return u / Double(positiveCount * negativeCount)
}
