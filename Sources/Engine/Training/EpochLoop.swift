import Foundation
import Torch

/// Loss values of one step that have a total to average over an epoch.
protocol StepLoss {
  var total: Double { get }
}

extension LossValues: StepLoss {}
extension SegmentationLossValues: StepLoss {}

/// Where training stands after a step, for progress events.
struct StepProgress {
  let epoch: Int
  let epochs: Int
  let step: Int
  let steps: Int
  /// Mean of the last 20 steps.
  let secondsPerStep: Double
  let remainingSeconds: Double
}

/// The epoch and step bookkeeping `Trainer` and `SegmenterTrainer` share: a seeded shuffle per epoch,
/// mini-batches of indices, stop requests between steps, seconds per step and the time left, a
/// validation after every epoch, and the state of the best epoch, restored into the model at the end.
/// What a training configuration tells the epoch loop (classifier and segmenter configurations alike).
protocol EpochLoopSettings {
  var epochs: Int { get }
  var batchSize: Int { get }
  var learningRateSchedule: LearningRateSchedule { get }
  var batchNormRecalibrationBatches: Int { get }
  var batchNormFrozenAfterEpoch: Int? { get }
}

extension TrainingConfiguration: EpochLoopSettings {}
extension SegmenterTrainingConfiguration: EpochLoopSettings {
  var batchNormFrozenAfterEpoch: Int? { nil }
}

struct EpochLoop {
  let epochs: Int
  let batchSize: Int
  /// Sets `optimizer`'s rate before each epoch, from the rate it had when the loop started.
  let learningRateSchedule: LearningRateSchedule
  let optimizer: any Optimizer
  /// Re-estimates BatchNorm statistics after each epoch's steps, before it is validated.
  let batchNormRecalibration: BatchNormRecalibration
  /// BatchNorm is frozen in the epochs after this one: no recalibration follows them.
  let batchNormFrozenAfterEpoch: Int?

  /// The loop `settings` describe, recalibrating BatchNorm on `training` through `forward`.
  init(_ settings: some EpochLoopSettings, optimizer: any Optimizer, training: some TrainingDataset,
       forward: @escaping (Tensor, ForwardMode) throws -> Void) {
    epochs = settings.epochs
    batchSize = settings.batchSize
    learningRateSchedule = settings.learningRateSchedule
    self.optimizer = optimizer
    batchNormFrozenAfterEpoch = settings.batchNormFrozenAfterEpoch
    batchNormRecalibration = BatchNormRecalibration(batches: settings.batchNormRecalibrationBatches,
                                                    batchSize: settings.batchSize, training: training, forward: forward)
  }

  /// Whether the steps of the 1-based `epoch` train with BatchNorm frozen.
  func batchNormFrozen(inEpoch epoch: Int) -> Bool {
    batchNormFrozenAfterEpoch.map { epoch > $0 } ?? false
  }

  /// - Parameters:
  ///   - beginEpoch: called with the 1-based epoch before its first step (other schedules).
  ///   - step: one optimisation step on the samples at the given indices.
  ///   - stepped: reports a finished step.
  ///   - stopped: reports that a stop request ended training during the given epoch.
  ///   - finishEpoch: validates after an epoch, given the epoch, its mean training loss, its duration
  ///     and the best record so far; returns the epoch's record and whether it is the new best.
  ///   - onImprovement: called after each new best epoch, while the model holds its weights.
  /// - Returns: every epoch's record, the best one, and whether a stop request ended training early.
  func run<Values: StepLoss, Record>(
    model: some Layer, sampleCount: Int, generator: inout SeededGenerator, shouldStop: () -> Bool,
    beginEpoch: (Int) throws -> Void = { _ in },
    step: (ArraySlice<Int>, inout SeededGenerator) throws -> Values,
    stepped: (Values, StepProgress) -> Void,
    stopped: (Int) -> Void,
    finishEpoch: (_ epoch: Int, _ trainingLoss: Double, _ seconds: Double, _ best: Record?) throws -> (record: Record, improved: Bool),
    onImprovement: (Record) throws -> Void
  ) throws -> (history: [Record], best: Record?, stoppedEarly: Bool) {
    let steps = (sampleCount + batchSize - 1) / batchSize
    var history: [Record] = []
    var best: (record: Record, state: [Tensor])?
    var stepSeconds: [Double] = []
    var stoppedEarly = false
    let baseLearningRate = optimizer.learningRate

    epochs: for epoch in 1...epochs {
      let started = Date()
      let order = Array(0..<sampleCount).shuffled(using: &generator)
      optimizer.learningRate = learningRateSchedule.rate(base: baseLearningRate, epoch: epoch, epochs: epochs)
      try beginEpoch(epoch)
      var lossSum = 0.0
      for index in 0..<steps {
        if shouldStop() {
          stoppedEarly = true
          stopped(epoch)
          break epochs
        }
        let stepStarted = Date()
        let values = try step(order[(index * batchSize)..<Swift.min((index + 1) * batchSize, order.count)], &generator)
        lossSum += values.total
        stepSeconds.append(Date().timeIntervalSince(stepStarted))
        let recent = stepSeconds.suffix(20)
        let perStep = recent.reduce(0, +) / Double(recent.count)
        let remainingSteps = (epochs - epoch) * steps + (steps - index - 1)
        stepped(values, StepProgress(epoch: epoch, epochs: epochs, step: index + 1, steps: steps, secondsPerStep: perStep,
                                     remainingSeconds: perStep * Double(remainingSteps)))
      }
      if !batchNormFrozen(inEpoch: epoch) { try batchNormRecalibration.run(model: model) }
      let (record, improved) = try finishEpoch(epoch, lossSum / Double(steps), Date().timeIntervalSince(started), best?.record)
      history.append(record)
      if improved {
        best = (record, try Torch.withoutGradient { try model.state.map { try $0.tensor.clone() } })
        try onImprovement(record)
      }
    }

    if let best {
      try Torch.withoutGradient {
        for (entry, saved) in zip(model.state, best.state) { try entry.tensor.copy_(saved) }
      }
    }
    return (history, best?.record, stoppedEarly)
  }
}
