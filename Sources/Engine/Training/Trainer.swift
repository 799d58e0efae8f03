import Torch
import Foundation

/// Everything that determines a training run.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
  public var objective: ObjectiveConfiguration
  public var epochs: Int
  public var batchSize: Int
  public var optimizer: OptimizerConfiguration
  /// How the optimiser's learning rate changes over the epochs.
  public var learningRateSchedule: LearningRateSchedule
  /// How P reaches `objective.heatmapWeight` (ISNets only).
  public var heatmapWeightSchedule: HeatmapWeightSchedule
  /// Gradient-norm clipping (the authors clip at 1); nil disables it.
  public var gradientClipNorm: Double?
  public var seed: UInt64
  public var augmentation: AugmentationConfiguration
  /// Epochs of plain training used to tune C1 and C2 before an ISNet is trained (the authors' "cut
  /// tune", default 5); 0 keeps the cuts in `objective.loss`.
  public var cutTuningEpochs: Int
  /// Batches of training images whose statistics replace BatchNorm's running averages after each
  /// epoch, before validation (``BatchNormRecalibration``); 0 keeps the running averages.
  public var batchNormRecalibrationBatches: Int
  /// From the epoch after this one on, BatchNorm is frozen: steps normalise with the statistics it has
  /// then (recalibrated after this epoch) and nothing updates them, so training, validation and
  /// inference see one function. nil: batch statistics throughout.
  public var batchNormFrozenAfterEpoch: Int?

  public init(objective: ObjectiveConfiguration, epochs: Int = 10, batchSize: Int = 16,
              optimizer: OptimizerConfiguration = .isnetDefault, learningRateSchedule: LearningRateSchedule = .constant,
              heatmapWeightSchedule: HeatmapWeightSchedule = HeatmapWeightSchedule(), gradientClipNorm: Double? = 1,
              seed: UInt64 = 0, augmentation: AugmentationConfiguration = AugmentationConfiguration(), cutTuningEpochs: Int = 0,
              batchNormRecalibrationBatches: Int = 32, batchNormFrozenAfterEpoch: Int? = nil) {
    self.objective = objective
    self.epochs = epochs
    self.batchSize = batchSize
    self.optimizer = optimizer
    self.learningRateSchedule = learningRateSchedule
    self.heatmapWeightSchedule = heatmapWeightSchedule
    self.gradientClipNorm = gradientClipNorm
    self.seed = seed
    self.augmentation = augmentation
    self.cutTuningEpochs = cutTuningEpochs
    self.batchNormRecalibrationBatches = batchNormRecalibrationBatches
    self.batchNormFrozenAfterEpoch = batchNormFrozenAfterEpoch
  }
}

extension TrainingConfiguration {
  private enum CodingKeys: String, CodingKey {
    case objective, epochs, batchSize, optimizer, learningRateSchedule, heatmapWeightSchedule, gradientClipNorm, seed,
         augmentation, cutTuningEpochs, batchNormRecalibrationBatches, batchNormFrozenAfterEpoch
  }

  /// Checkpoints record the configuration they were trained with. In sidecars of format 1, settings
  /// added since decode, when absent, as what those runs did: a constant learning rate, no P warm-up,
  /// no BatchNorm recalibration; from format 2 on they are required. BatchNorm freezing is optional in
  /// every format (absent: never frozen).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let added = AddedSettings(container, decoder)
    self.init(
      objective: try container.decode(ObjectiveConfiguration.self, forKey: .objective),
      epochs: try container.decode(Int.self, forKey: .epochs),
      batchSize: try container.decode(Int.self, forKey: .batchSize),
      optimizer: try container.decode(OptimizerConfiguration.self, forKey: .optimizer),
      learningRateSchedule: try added.decode(.learningRateSchedule, before: LearningRateSchedule.constant),
      heatmapWeightSchedule: try added.decode(.heatmapWeightSchedule, before: HeatmapWeightSchedule()),
      gradientClipNorm: try container.decodeIfPresent(Double.self, forKey: .gradientClipNorm),
      seed: try container.decode(UInt64.self, forKey: .seed),
      augmentation: try container.decode(AugmentationConfiguration.self, forKey: .augmentation),
      cutTuningEpochs: try container.decode(Int.self, forKey: .cutTuningEpochs),
      batchNormRecalibrationBatches: try added.decode(.batchNormRecalibrationBatches, before: 0),
      batchNormFrozenAfterEpoch: try container.decodeIfPresent(Int.self, forKey: .batchNormFrozenAfterEpoch))
  }
}

/// Settings that checkpoint format 2 made required: in a format-1 sidecar (or JSON decoded without a
/// format version, such as a bundle manifest's copy) an absent one is what runs did before it existed.
struct AddedSettings<Key: CodingKey> {
  let container: KeyedDecodingContainer<Key>
  let required: Bool

  init(_ container: KeyedDecodingContainer<Key>, _ decoder: any Decoder) {
    self.container = container
    required = (decoder.userInfo[.checkpointFormatVersion] as? Int ?? 1) >= 2
  }

  func decode<Value: Decodable>(_ key: Key, before value: Value) throws -> Value {
    required ? try container.decode(Value.self, forKey: key) : try container.decodeIfPresent(Value.self, forKey: key) ?? value
  }
}

/// What the trainer reports while it runs.
public enum TrainingEvent: Sendable {
  case tuningCuts(epochs: Int)
  /// The input map's cuts, and each supervised hidden layer's under deep supervision.
  case cutsTuned(ForegroundCuts, hidden: [ForegroundCuts])
  case step(epoch: Int, epochs: Int, step: Int, steps: Int, losses: LossValues, secondsPerStep: Double, remainingSeconds: Double)
  case validated(EpochRecord)
  case stopped(epoch: Int)
}

/// One epoch's outcome.
public struct EpochRecord: Codable, Sendable, Equatable {
  public var epoch: Int
  public var trainingLoss: Double
  public var validationLosses: LossValues
  public var validation: ClassificationMetrics
  public var seconds: Double
  public var improved: Bool
}

/// The outcome of a training run. The model holds the weights of the best epoch.
public struct TrainingResult: Sendable {
  /// The configuration as trained, with tuned cuts filled in.
  public var configuration: TrainingConfiguration
  public var history: [EpochRecord]
  public var best: EpochRecord?
  /// True when a stop request ended the run before its last epoch.
  public var stoppedEarly: Bool
}

/// Trains a classifier with the ISNet objective: shuffled mini-batches, augmentation, gradient clipping,
/// learning-rate and P schedules, validation each epoch, and selection of the epoch with the lowest
/// validation loss (the authors' criterion). Deterministic for a seed and thread count.
public struct Trainer {
  public var configuration: TrainingConfiguration
  public var classNames: [String]

  public init(configuration: TrainingConfiguration, classNames: [String]) {
    self.configuration = configuration
    self.classNames = classNames
  }

  /// - Parameters:
  ///   - makeModel: builds a freshly initialised model (called twice when cuts are tuned: the tuning
  ///     model is thrown away, as in the authors' code).
  ///   - shouldStop: polled between steps; returning true ends training cleanly, keeping the best epoch.
  ///   - onImprovement: called with the model after each epoch that improves the validation loss (for
  ///     example to write a checkpoint).
  public func train(
    makeModel: () throws -> any Classifier, training: some TrainingDataset, validation: some TrainingDataset,
    events: (TrainingEvent) -> Void = { _ in }, shouldStop: () -> Bool = { false },
    onImprovement: (any Classifier, EpochRecord, TrainingConfiguration) throws -> Void = { _, _, _ in }
  ) throws -> (model: any Classifier, result: TrainingResult) {
    guard training.count > 0, validation.count > 0 else {
      throw EngineError.invalidInput("training needs at least one training and one validation image")
    }
    var configuration = self.configuration
    Torch.seed(configuration.seed)
    if configuration.objective.variant != .plain, configuration.cutTuningEpochs > 0 {
      events(.tuningCuts(epochs: configuration.cutTuningEpochs))
      let tuner = CutTuner(configuration: configuration, epochs: configuration.cutTuningEpochs)
      guard let cuts = try tuner.tune(model: makeModel(), data: training, shouldStop: shouldStop) else {
        events(.stopped(epoch: 0))
        return (try makeModel(), TrainingResult(configuration: configuration, history: [], best: nil, stoppedEarly: true))
      }
      configuration.objective.loss.lowerCut = cuts.input.lower
      configuration.objective.loss.upperCut = cuts.input.upper
      configuration.objective.deepSupervision?.hiddenCuts = cuts.hidden
      events(.cutsTuned(cuts.input, hidden: cuts.hidden))
      Torch.seed(configuration.seed)
    }

    let model = try makeModel()
    let objective = Objective(configuration.objective)  // the full P: validation and model selection
    var trainingObjective = objective
    let optimizer = configuration.optimizer.make(for: model.parameters)
    let evaluator = Evaluator(classNames: classNames, batchSize: configuration.batchSize,
                              relevance: configuration.objective.relevance)
    var generator = SeededGenerator(seed: configuration.seed)
    let augmenter = Augmenter(configuration: configuration.augmentation)
    let loop = EpochLoop(configuration, optimizer: optimizer, training: training,
                         forward: { _ = try model.forward($0, mode: $1) })
    var frozenBatchNorm = false
    let (history, best, stoppedEarly) = try loop.run(
      model: model, sampleCount: training.count, generator: &generator, shouldStop: shouldStop,
      beginEpoch: { epoch in
        frozenBatchNorm = loop.batchNormFrozen(inEpoch: epoch)
        var epochObjective = configuration.objective
        epochObjective.heatmapWeight = configuration.heatmapWeightSchedule.weight(epochObjective.heatmapWeight, epoch: epoch)
        trainingObjective = Objective(epochObjective)
      },
      step: { indices, generator in
        let batch = try augmenter(training.batch(indices), using: &generator)
        let output = try trainingObjective.evaluate(model: model, batch: batch, training: true,
                                                    frozenBatchNorm: frozenBatchNorm, using: &generator)
        optimizer.clearGradients()
        try output.loss.backward()
        if let clip = configuration.gradientClipNorm { try optimizer.clipGradientNorm(clip) }
        try optimizer.step()
        return output.values
      },
      stepped: { values, progress in
        events(.step(epoch: progress.epoch, epochs: progress.epochs, step: progress.step, steps: progress.steps,
                     losses: values, secondsPerStep: progress.secondsPerStep, remainingSeconds: progress.remainingSeconds))
      },
      stopped: { events(.stopped(epoch: $0)) },
      finishEpoch: { epoch, trainingLoss, seconds, best in
        let evaluation = try evaluator.evaluate(model, on: validation, objective: objective, seed: configuration.seed)
        let validationLosses = evaluation.losses!
        let improved = best.map { validationLosses.total < $0.validationLosses.total } ?? true
        let record = EpochRecord(epoch: epoch, trainingLoss: trainingLoss, validationLosses: validationLosses,
                                 validation: evaluation.metrics, seconds: seconds, improved: improved)
        events(.validated(record))
        return (record, improved)
      },
      onImprovement: { try onImprovement(model, $0, configuration) })
    return (model, TrainingResult(configuration: configuration, history: history, best: best, stoppedEarly: stoppedEarly))
  }
}
