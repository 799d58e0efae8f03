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
    let loop = EpochLoop(configuration, optimizer: optimizer, training: training,
                         forward: { _ = try model.forward($0, mode: $1) })
    let (history, best, stoppedEarly) = try loop.run(
      model: model, sampleCount: training.count, generator: &generator, shouldStop: shouldStop,
      step: { indices, generator in
        let batch = try augmenter(training.batch(indices), using: &generator)
        let logits = try model.forward(batch.images, mode: ForwardMode(training: true))
        let (value, values) = try loss(logits: logits, masks: batch.masks)
        optimizer.clearGradients()
        try value.backward()
        if let clip = configuration.gradientClipNorm { try optimizer.clipGradientNorm(clip) }
        try optimizer.step()
        return values
      },
      stepped: { values, progress in
        events(.step(epoch: progress.epoch, epochs: progress.epochs, step: progress.step, steps: progress.steps,
                     losses: values, secondsPerStep: progress.secondsPerStep, remainingSeconds: progress.remainingSeconds))
      },
      stopped: { events(.stopped(epoch: $0)) },
      finishEpoch: { epoch, trainingLoss, seconds, best in
        let evaluation = try evaluator.evaluate(model, on: validation, loss: loss)
        let losses = evaluation.losses!
        let improved = best.map { previous in
          evaluation.metrics.meanDice > previous.validation.meanDice
            || (evaluation.metrics.meanDice == previous.validation.meanDice && losses.total < previous.validationLosses.total)
        } ?? true
        let record = SegmenterEpochRecord(epoch: epoch, trainingLoss: trainingLoss, validationLosses: losses,
                                          validation: evaluation.metrics, seconds: seconds, improved: improved)
        events(.validated(record))
        return (record, improved)
      },
      onImprovement: { try onImprovement(model, $0) })
    return (model, SegmenterTrainingResult(configuration: configuration, history: history, best: best,
                                           stoppedEarly: stoppedEarly))
  }
}
