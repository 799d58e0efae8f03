import Torch

/// Tunes the foreground cuts C1 and C2 of the heatmap loss from a short plain training run, as the
/// authors' "cut tune": train with cross-entropy for `epochs − 1` epochs, then, during one more
/// cross-entropy epoch, record each sample's total heatmap magnitude S = mean_k Σ|H| (heatmaps of the
/// variant's explained quantity). With the mean μ and standard deviation σ of S:
///
///     C1 = max(μ/5, μ − 3σ),   C2 = min(25·C1, μ + 3σ)
///
/// Under deep supervision each supervised hidden layer gets its own cuts the same way, from its own map.
struct CutTuner {
  let configuration: TrainingConfiguration
  let epochs: Int

  /// The tuned cuts of the input map and of each supervised hidden layer (empty without deep
  /// supervision), or nil when a stop was requested.
  func tune(model: some Classifier, data: some TrainingDataset, shouldStop: () -> Bool) throws -> (input: ForegroundCuts, hidden: [ForegroundCuts])? {
    var plainConfiguration = configuration
    plainConfiguration.objective.variant = .plain
    let plain = Objective(plainConfiguration.objective)
    let objective = Objective(configuration.objective)
    let optimizer = configuration.optimizer.make(for: model.parameters)
    let augmenter = Augmenter(configuration: configuration.augmentation)
    let flex = LRPFlex(settings: configuration.objective.relevance)
    var generator = SeededGenerator(seed: configuration.seed ^ 0x5EED)
    let hiddenLayers = configuration.objective.deepSupervision != nil
    var statistics: [RunningStatistics] = []  // input map first, then each hidden layer

    for epoch in 1...epochs {
      let order = Array(0..<data.count).shuffled(using: &generator)
      for start in stride(from: 0, to: order.count, by: configuration.batchSize) {
        if shouldStop() { return nil }
        let indices = order[start..<Swift.min(start + configuration.batchSize, order.count)]
        let batch = try augmenter(data.batch(indices), using: &generator)
        if epoch == epochs {
          let explanation = objective.explanation(batchSize: indices.count, classCount: model.classCount, using: &generator)!
          let heatmaps = try flex.heatmaps(of: model, input: batch.images, explaining: explanation, training: true,
                                           hiddenLayers: hiddenLayers)
          let layers = [heatmaps.maps] + heatmaps.hiddenMaps
          if statistics.isEmpty { statistics = Array(repeating: RunningStatistics(), count: layers.count) }
          for (layer, maps) in layers.enumerated() {
            try maps.abs().sum(dims: [2, 3, 4]).mean(dims: [1]).values(as: Double.self).forEach { statistics[layer].add($0) }
          }
        }
        let output = try plain.evaluate(model: model, batch: batch, training: true, using: &generator)
        optimizer.clearGradients()
        try output.loss.backward()
        if let clip = configuration.gradientClipNorm { try optimizer.clipGradientNorm(clip) }
        try optimizer.step()
      }
    }
    let cuts = statistics.map { statistics in
      let lower = Swift.max(statistics.mean / 5, statistics.mean - 3 * statistics.standardDeviation)
      return ForegroundCuts(lower: lower, upper: Swift.min(25 * lower, statistics.mean + 3 * statistics.standardDeviation))
    }
    return (cuts[0], Array(cuts.dropFirst()))
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
