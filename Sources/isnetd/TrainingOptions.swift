import ArgumentParser
import Engine

/// The optimiser options every training command shares.
struct OptimizerOptions: ParsableArguments {
  @Option(help: "adam or sgd.")
  var optimizer: OptimizerChoice = .adam
  @Option var learningRate = 1e-3
  @Option(help: "SGD momentum.")
  var momentum = 0.9
  @Option(help: "constant, or cosine: annealed to 1 % of the rate by the last epoch.")
  var learningRateSchedule: ScheduleChoice = .cosine

  enum OptimizerChoice: String, ExpressibleByArgument { case sgd, adam }
  enum ScheduleChoice: String, ExpressibleByArgument { case constant, cosine }

  func validate() throws {
    guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive") }
  }

  var configuration: OptimizerConfiguration {
    optimizer == .sgd ? .sgd(learningRate: learningRate, momentum: momentum, weightDecay: 0)
      : .adam(learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0)
  }

  var schedule: LearningRateSchedule {
    learningRateSchedule == .cosine ? .cosine(floor: 0.01) : .constant
  }
}

/// The classifier training recipe `train` and `experiment` share: epochs, optimiser and the ISNet
/// loss settings.
struct TrainingOptions: ParsableArguments {
  @Option(help: "Passes over the training set.")
  var epochs = 30
  @Option var batchSize = 16
  @OptionGroup var optimizer: OptimizerOptions
  @Option(help: "P: weight of the heatmap loss.")
  var heatmapWeight = 0.7
  @Option(help: "Epochs over which P rises to its value (P·e/(n+1) in epoch e ≤ n; at most epochs − 1).")
  var heatmapWarmupEpochs = 5
  @Option(help: "d: GWRP decay of the background term (0 = max, 1 = mean).")
  var backgroundDecay = 0.9
  @Option(help: "E: the background term is log(1 + GWRP/E).")
  var backgroundScale = 1.0
  @Option(help: "Epochs of plain training that tune C1/C2 before the ISNet (0 keeps C1 = 1, C2 = 25).")
  var tuneCutEpochs = 5
  @Option(help: "How train-mode BatchNorm enters the heatmap: detached (batch statistics as constants) or through (differentiated, as the authors' LRP-Flex code; couples a batch's heatmaps).")
  var batchNormRelevance: BatchNormChoice = .detached
  @Option(help: "Batches of training images whose statistics replace BatchNorm's running averages after each epoch, before validation (0 keeps the running averages).")
  var batchNormRecalibration = 32
  @Flag(help: "Train without augmentation.")
  var noAugmentation = false
  @Option var seed: UInt64 = 0

  enum BatchNormChoice: String, ExpressibleByArgument { case detached, through }

  func validate() throws {
    guard epochs > 0, batchSize > 0 else { throw ValidationError("--epochs and --batch-size must be positive") }
    guard (0...1).contains(heatmapWeight) else { throw ValidationError("--heatmap-weight (P) must lie in [0, 1]") }
    guard heatmapWarmupEpochs >= 0, tuneCutEpochs >= 0, batchNormRecalibration >= 0 else {
      throw ValidationError("--heatmap-warmup-epochs, --tune-cut-epochs and --batch-norm-recalibration cannot be negative")
    }
    guard (0...1).contains(backgroundDecay) else { throw ValidationError("--background-decay (d) must lie in [0, 1]") }
    guard backgroundScale > 0 else { throw ValidationError("--background-scale (E) must be positive") }
  }

  /// The training configuration of `variant` (cut tuning only for ISNets).
  func configuration(variant: Variant) -> TrainingConfiguration {
    var objective = ObjectiveConfiguration(variant: variant, heatmapWeight: heatmapWeight)
    objective.loss.backgroundDecay = backgroundDecay
    objective.loss.backgroundScale = backgroundScale
    objective.relevance.batchNorm = batchNormRelevance == .detached ? .detachedStatistics : .throughStatistics
    return TrainingConfiguration(
      objective: objective, epochs: epochs, batchSize: batchSize,
      optimizer: optimizer.configuration, learningRateSchedule: optimizer.schedule,
      heatmapWeightSchedule: HeatmapWeightSchedule(warmupEpochs: Swift.min(heatmapWarmupEpochs, epochs - 1)),
      seed: seed, augmentation: noAugmentation ? .none : AugmentationConfiguration(),
      cutTuningEpochs: variant == .plain ? 0 : tuneCutEpochs, batchNormRecalibrationBatches: batchNormRecalibration)
  }
}
