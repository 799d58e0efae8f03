import Torch

/// Re-estimates every BatchNorm layer's running statistics for the weights as they are, before a
/// model is validated or kept ("precise BN", Wu and Johnson 2021, "Rethinking 'Batch' in BatchNorm").
///
/// Why: eval mode normalises with running averages (momentum 0.1) gathered while the weights moved,
/// which mostly reflect the last few dozen steps' weights. When the weights move fast (early epochs,
/// and an ISNet whose heatmap loss keeps reshaping its features) those averages stop matching the
/// final weights, and the eval-mode model is a different function from the one trained: validation
/// accuracy jumped between 0.34 and 0.88 from one epoch to the next while the training loss was steady.
struct BatchNormRecalibration {
  /// Batches whose statistics are averaged; 0 keeps the running averages gathered in training.
  let batches: Int
  let batchSize: Int
  let sampleCount: Int
  /// Runs a train-mode forward pass over the training samples at the given indices, un-augmented
  /// (as evaluation sees images).
  let forward: (ArraySlice<Int>, ForwardMode) throws -> Void

  init(batches: Int, batchSize: Int, sampleCount: Int, forward: @escaping (ArraySlice<Int>, ForwardMode) throws -> Void) {
    self.batches = batches
    self.batchSize = batchSize
    self.sampleCount = sampleCount
    self.forward = forward
  }

  /// Recalibration on `training`'s images, passed through `model` by `forward`.
  init(batches: Int, batchSize: Int, training: some TrainingDataset,
       forward model: @escaping (Tensor, ForwardMode) throws -> Void) {
    self.init(batches: batches, batchSize: batchSize, sampleCount: training.count) { indices, mode in
      try model(training.batch(indices).images, mode)
    }
  }

  /// Resets every running mean and variance of `model`, then averages the statistics of up to
  /// `batches` batches of distinct training samples (a fixed seeded draw, so runs stay deterministic)
  /// with equal weights: the k-th batch enters with momentum 1/k.
  func run(model: some Layer) throws {
    guard batches > 0, sampleCount > 0 else { return }
    var generator = SeededGenerator(seed: 0)
    let order = Array(0..<sampleCount).shuffled(using: &generator).prefix(batches * batchSize)
    try Torch.withoutGradient {
      for entry in model.state {
        let dtype = entry.tensor.dtype ?? .float32
        if entry.name.hasSuffix("running_mean") { try entry.tensor.copy_(Tensor.zeros(entry.tensor.shape, dtype: dtype)) }
        if entry.name.hasSuffix("running_var") { try entry.tensor.copy_(Tensor.ones(entry.tensor.shape, dtype: dtype)) }
      }
      for (index, start) in stride(from: order.startIndex, to: order.endIndex, by: batchSize).enumerated() {
        let indices = order[start..<Swift.min(start + batchSize, order.endIndex)]
        try forward(indices, ForwardMode(training: true, batchNormMomentum: 1 / Double(index + 1)))
      }
    }
  }
}
