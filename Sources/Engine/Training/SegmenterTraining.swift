/// Everything that determines a segmenter training run.
public struct SegmenterTrainingConfiguration: Codable, Sendable, Equatable {
  /// Passes over the training set.
  public var epochs: Int
  /// Images per step.
  public var batchSize: Int
  /// The optimiser and its hyperparameters.
  public var optimizer: OptimizerConfiguration
  /// How the optimiser's learning rate changes over the epochs.
  public var learningRateSchedule: LearningRateSchedule
  /// Gradient-norm clipping; nil disables it.
  public var gradientClipNorm: Double?
  /// Seeds libtorch's generator (initialisation), shuffling and augmentation.
  public var seed: UInt64
  /// Applied to each image and its mask alike (masks with nearest sampling).
  public var augmentation: AugmentationConfiguration
  /// Weights of the Dice and cross-entropy terms.
  public var loss: SegmentationLossConfiguration
  /// Batches of training images whose statistics replace BatchNorm's running averages after each
  /// epoch, before validation (``BatchNormRecalibration``); 0 keeps the running averages.
  public var batchNormRecalibrationBatches: Int

  /// Adam at 0.001 (U-Nets train reliably with it from scratch), batches of 8, clipping at 5, the
  /// classifier's augmentation, BatchNorm statistics re-estimated on 32 batches after each epoch.
  public init(epochs: Int = 30, batchSize: Int = 8,
              optimizer: OptimizerConfiguration = .adam(learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
              learningRateSchedule: LearningRateSchedule = .constant, gradientClipNorm: Double? = 5, seed: UInt64 = 0,
              augmentation: AugmentationConfiguration = AugmentationConfiguration(),
              loss: SegmentationLossConfiguration = SegmentationLossConfiguration(), batchNormRecalibrationBatches: Int = 32) {
    self.epochs = epochs
    self.batchSize = batchSize
    self.optimizer = optimizer
    self.learningRateSchedule = learningRateSchedule
    self.gradientClipNorm = gradientClipNorm
    self.seed = seed
    self.augmentation = augmentation
    self.loss = loss
    self.batchNormRecalibrationBatches = batchNormRecalibrationBatches
  }
}

extension SegmenterTrainingConfiguration {
  private enum CodingKeys: String, CodingKey {
    case epochs, batchSize, optimizer, learningRateSchedule, gradientClipNorm, seed, augmentation, loss,
         batchNormRecalibrationBatches
  }

  /// In sidecars of format 1, settings added since the first segmenter checkpoints decode, when absent,
  /// as what those runs did: a constant learning rate and no BatchNorm recalibration; from format 2 on
  /// they are required.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let added = AddedSettings(container, decoder)
    self.init(
      epochs: try container.decode(Int.self, forKey: .epochs),
      batchSize: try container.decode(Int.self, forKey: .batchSize),
      optimizer: try container.decode(OptimizerConfiguration.self, forKey: .optimizer),
      learningRateSchedule: try added.decode(.learningRateSchedule, before: LearningRateSchedule.constant),
      gradientClipNorm: try container.decodeIfPresent(Double.self, forKey: .gradientClipNorm),
      seed: try container.decode(UInt64.self, forKey: .seed),
      augmentation: try container.decode(AugmentationConfiguration.self, forKey: .augmentation),
      loss: try container.decode(SegmentationLossConfiguration.self, forKey: .loss),
      batchNormRecalibrationBatches: try added.decode(.batchNormRecalibrationBatches, before: 0))
  }
}

/// What the segmenter trainer reports while it runs.
public enum SegmenterTrainingEvent: Sendable {
  case step(epoch: Int, epochs: Int, step: Int, steps: Int, losses: SegmentationLossValues, secondsPerStep: Double,
            remainingSeconds: Double)
  case validated(SegmenterEpochRecord)
  case stopped(epoch: Int)
}

/// One epoch of segmenter training.
public struct SegmenterEpochRecord: Codable, Sendable, Equatable {
  /// 1-based epoch number.
  public var epoch: Int
  /// Mean training loss over the epoch's steps (augmented images, train-mode BatchNorm).
  public var trainingLoss: Double
  /// Mean loss values on the validation set (eval mode).
  public var validationLosses: SegmentationLossValues
  /// Validation Dice summary and pixel accuracy.
  public var validation: SegmentationMetrics
  /// Wall time of the epoch, validation included.
  public var seconds: Double
  /// Whether this epoch became the best so far (highest mean validation Dice; equal Dice, lower loss).
  public var improved: Bool
}

/// The outcome of a segmenter training run. The model holds the weights of the best epoch.
public struct SegmenterTrainingResult: Sendable {
  /// The configuration as trained.
  public var configuration: SegmenterTrainingConfiguration
  /// Every finished epoch.
  public var history: [SegmenterEpochRecord]
  /// The epoch whose weights the model holds; nil when no epoch finished.
  public var best: SegmenterEpochRecord?
  /// True when a stop request ended the run before its last epoch.
  public var stoppedEarly: Bool
}
