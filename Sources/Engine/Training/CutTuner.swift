import Torch

/// Tunes the foreground cuts C1 and C2 of the heatmap loss from a short plain training run, as the
/// authors' "cut tune": train with cross-entropy for `epochs − 1` epochs, then, during one more
/// cross-entropy epoch, record each sample's total heatmap magnitude S = mean_k Σ|H| (heatmaps of the
/// variant's explained quantity). With the mean μ and standard deviation σ of S:
///
///     C1 = max(μ/5, μ − 3σ),   C2 = min(25·C1, μ + 3σ)
struct CutTuner {
  let configuration: TrainingConfiguration
  let epochs: Int

  /// The tuned (C1, C2), or nil when a stop was requested.
  func tune(model: some Classifier, data: some TrainingDataset, shouldStop: () -> Bool) throws -> (lower: Double, upper: Double)? {
    var plainConfiguration = configuration
    plainConfiguration.objective.variant = .plain
    let plain = Objective(plainConfiguration.objective)
    let objective = Objective(configuration.objective)
    let optimizer = configuration.optimizer.make(for: model.parameters)
    let augmenter = Augmenter(configuration: configuration.augmentation)
    let flex = LRPFlex(settings: configuration.objective.relevance)
    var generator = SeededGenerator(seed: configuration.seed ^ 0x5EED)
    var statistics = RunningStatistics()

    for epoch in 1...epochs {
      let order = Array(0..<data.count).shuffled(using: &generator)
      for start in stride(from: 0, to: order.count, by: configuration.batchSize) {
        if shouldStop() { return nil }
        let indices = order[start..<Swift.min(start + configuration.batchSize, order.count)]
        let batch = try augmenter(data.batch(indices), using: &generator)
        if epoch == epochs {
          let explanation = objective.explanation(batchSize: indices.count, classCount: model.classCount, using: &generator)!
          let maps = try flex.heatmaps(of: model, input: batch.images, explaining: explanation, training: true).maps
          let magnitudes = try maps.abs().sum(dims: [2, 3, 4]).mean(dims: [1]).values(as: Double.self)
          magnitudes.forEach { statistics.add($0) }
        }
        let output = try plain.evaluate(model: model, batch: batch, training: true, using: &generator)
        optimizer.clearGradients()
        try output.loss.backward()
        if let clip = configuration.gradientClipNorm { try optimizer.clipGradientNorm(clip) }
        try optimizer.step()
      }
    }
    let lower = Swift.max(statistics.mean / 5, statistics.mean - 3 * statistics.standardDeviation)
    let upper = Swift.min(25 * lower, statistics.mean + 3 * statistics.standardDeviation)
    return (lower, upper)
  }
}

/// Welford's online mean and variance.
struct RunningStatistics {
  private(set) var count = 0
  private(set) var mean = 0.0
  private var squaredDeviations = 0.0

  mutating func add(_ value: Double) {
    count += 1
    let delta = value - mean
    mean += delta / Double(count)
    squaredDeviations += delta * (value - mean)
  }

  /// Population standard deviation (0 for fewer than two values).
  var standardDeviation: Double {
    count > 1 ? (squaredDeviations / Double(count)).squareRoot() : 0
  }
}
