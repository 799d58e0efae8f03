import Foundation
import Torch

/// Trains a segmenter on image/mask pairs: shuffled mini-batches, the same augmentation applied to each
/// image and its mask, Dice + cross-entropy, gradient clipping, validation Dice after each epoch, and
/// selection of the epoch with the highest mean validation Dice (equal Dice: the lower validation loss).
/// Deterministic for a seed and thread count, as `Trainer`.
public struct SegmenterTrainer {
  /// Epochs, batches, optimiser, augmentation, loss and seed.
  public var configuration: SegmenterTrainingConfiguration

  /// A trainer for `configuration`.
  public init(configuration: SegmenterTrainingConfiguration) {
    self.configuration = configuration
  }

  /// - Parameters:
  ///   - makeModel: builds a freshly initialised model (after libtorch's generator is seeded).
  ///   - training, validation: images with their masks (1 = foreground); labels are ignored.
  ///   - shouldStop: polled between steps; returning true ends training cleanly, keeping the best epoch.
  ///   - onImprovement: called with the model after each epoch that becomes the best (for example to
  ///     write a checkpoint).
  public func train(
    makeModel: () throws -> any Segmenter, training: some TrainingDataset, validation: some TrainingDataset,
    events: (SegmenterTrainingEvent) -> Void = { _ in }, shouldStop: () -> Bool = { false },
    onImprovement: (any Segmenter, SegmenterEpochRecord) throws -> Void = { _, _ in }
  ) throws -> (model: any Segmenter, result: SegmenterTrainingResult) {
    guard training.count > 0, validation.count > 0 else {
      throw EngineError.invalidInput("training a segmenter needs at least one training and one validation image")
    }
    guard configuration.epochs > 0, configuration.batchSize > 0 else {
      throw EngineError.invalidConfiguration("epochs and batch size must be positive")
    }
    Torch.seed(configuration.seed)
    let model = try makeModel()
    guard model.classCount >= 2 else { throw EngineError.invalidConfiguration("a segmenter needs at least 2 classes") }
    let loss = SegmentationLoss(configuration.loss)
    let optimizer = configuration.optimizer.make(for: model.parameters)
    let augmenter = Augmenter(configuration: configuration.augmentation)
    let evaluator = SegmentationEvaluator(batchSize: Swift.max(configuration.batchSize, 16))
    var generator = SeededGenerator(seed: configuration.seed)
    var history: [SegmenterEpochRecord] = []
    var best: (record: SegmenterEpochRecord, state: [Tensor])?
    var stoppedEarly = false
    let batchSize = configuration.batchSize
    let stepsPerEpoch = (training.count + batchSize - 1) / batchSize
    var stepSeconds: [Double] = []

    epochs: for epoch in 1...configuration.epochs {
      let started = Date()
      let order = Array(0..<training.count).shuffled(using: &generator)
      var lossSum = 0.0
      for step in 0..<stepsPerEpoch {
        if shouldStop() {
          stoppedEarly = true
          events(.stopped(epoch: epoch))
          break epochs
        }
        let stepStarted = Date()
        let indices = order[(step * batchSize)..<Swift.min((step + 1) * batchSize, order.count)]
        let batch = try augmenter(training.batch(indices), using: &generator)
        let logits = try model.forward(batch.images, mode: ForwardMode(training: true))
        let (value, values) = try loss(logits: logits, masks: batch.masks)
        optimizer.clearGradients()
        try value.backward()
        if let clip = configuration.gradientClipNorm { try optimizer.clipGradientNorm(clip) }
        try optimizer.step()
        lossSum += values.total
        stepSeconds.append(Date().timeIntervalSince(stepStarted))
        let recent = stepSeconds.suffix(20)
        let perStep = recent.reduce(0, +) / Double(recent.count)
        let remainingSteps = (configuration.epochs - epoch) * stepsPerEpoch + (stepsPerEpoch - step - 1)
        events(.step(epoch: epoch, epochs: configuration.epochs, step: step + 1, steps: stepsPerEpoch, losses: values,
                     secondsPerStep: perStep, remainingSeconds: perStep * Double(remainingSteps)))
      }
      let evaluation = try evaluator.evaluate(model, on: validation, loss: loss)
      let losses = evaluation.losses!
      let improved = best.map { previous in
        evaluation.metrics.meanDice > previous.record.validation.meanDice
          || (evaluation.metrics.meanDice == previous.record.validation.meanDice && losses.total < previous.record.validationLosses.total)
      } ?? true
      let record = SegmenterEpochRecord(epoch: epoch, trainingLoss: lossSum / Double(stepsPerEpoch), validationLosses: losses,
                                        validation: evaluation.metrics, seconds: Date().timeIntervalSince(started),
                                        improved: improved)
      history.append(record)
      events(.validated(record))
      if improved {
        best = (record, try Torch.withoutGradient { try model.state.map { try $0.tensor.clone() } })
        try onImprovement(model, record)
      }
    }

    if let best {
      try Torch.withoutGradient {
        for (entry, saved) in zip(model.state, best.state) { try entry.tensor.copy_(saved) }
      }
    }
    return (model, SegmenterTrainingResult(configuration: configuration, history: history, best: best?.record,
                                           stoppedEarly: stoppedEarly))
  }
}
