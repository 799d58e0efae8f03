public import Engine

/// The classifier training recipe with isnetd's defaults, in one place: `isnetd train`, `experiment`
/// and `retrain` start from it (their options only override it), and it becomes the engine's
/// ``TrainingConfiguration``.
public struct TrainingRecipe: Sendable, Equatable {
  public enum OptimizerChoice: String, Sendable, CaseIterable { case sgd, adam }
  public enum ScheduleChoice: String, Sendable, CaseIterable { case constant, cosine }
  public enum BatchNormChoice: String, Sendable, CaseIterable { case detached, through }

  /// Passes over the training set.
  public var epochs = 30
  public var batchSize = 16
  public var optimizer = OptimizerChoice.adam
  public var learningRate = 1e-3
  /// SGD's momentum.
  public var momentum = 0.9
  /// constant, or cosine: annealed to 1 % of the rate by the last epoch.
  public var learningRateSchedule = ScheduleChoice.cosine
  /// P: the weight of the heatmap loss.
  public var heatmapWeight = 0.7
  /// Epochs over which P rises to its value (at most epochs − 1).
  public var heatmapWarmupEpochs = 5
  /// d: GWRP decay of the background term (0 = max, 1 = mean).
  public var backgroundDecay = 0.9
  /// E: the background term is log(1 + GWRP/E).
  public var backgroundScale = 1.0
  /// Epochs of plain training that tune C1/C2 before an ISNet (0 keeps C1 = 1, C2 = 25).
  public var tuneCutEpochs = 5
  /// How train-mode BatchNorm enters the heatmap.
  public var batchNormRelevance = BatchNormChoice.detached
  /// Batches whose statistics replace BatchNorm's running averages after each epoch (0: keep them).
  public var batchNormRecalibration = 32
  /// The epoch after which BatchNorm is frozen at the statistics it has then (nil: never).
  public var batchNormFrozenAfterEpoch: Int?
  public var augmentation = true
  public var seed: UInt64 = 0
  /// LRP deep supervision: the heatmap loss also at the model's supervised hidden layers, each with
  /// its own tuned C1/C2.
  public var deepSupervision = false
  /// dLoss: GWRP decay over the layers' heatmap losses under deep supervision (1 = their mean).
  public var deepSupervisionDecay = 1.0
  /// Probability that a training image takes its background (outside its lung mask) from another
  /// image of its batch (0: never).
  public var backgroundSwap = 0.0
  /// λ of the background-invariance term (the squared logit change when everything outside the lung
  /// mask is blanked; 0: none).
  public var backgroundInvariance = 0.0
  /// What the invariance term puts outside the lung mask: nothing (blank) or the next image's background.
  public var invarianceBackground = InvarianceBackground.blank

  public init() {}

  /// The authors' recipe (their LRP-Flex scripts): SGD at 0.01 with momentum 0.9 and a constant
  /// rate, P from the first epoch, BatchNorm differentiated through its batch statistics and its
  /// running averages kept, no augmentation; gradient clipping at 1 as always. Give it more epochs.
  public static var authors: TrainingRecipe {
    var recipe = TrainingRecipe()
    recipe.optimizer = .sgd
    recipe.learningRate = 1e-2
    recipe.momentum = 0.9
    recipe.learningRateSchedule = .constant
    recipe.heatmapWarmupEpochs = 0
    recipe.batchNormRelevance = .through
    recipe.batchNormRecalibration = 0
    recipe.augmentation = false
    return recipe
  }

  /// Why the recipe cannot train, naming the setting; nil when it can.
  public var problem: String? {
    if epochs <= 0 || batchSize <= 0 { return "epochs and batch size must be positive" }
    if !(learningRate.isFinite && learningRate > 0) { return "the learning rate must be positive" }
    if !(momentum.isFinite && (0..<1).contains(momentum)) { return "the momentum must lie in [0, 1)" }
    if !(0...1).contains(heatmapWeight) { return "the heatmap weight (P) must lie in [0, 1]" }
    if heatmapWarmupEpochs < 0 || tuneCutEpochs < 0 || batchNormRecalibration < 0 {
      return "the heatmap warm-up, cut-tuning epochs and BatchNorm recalibration cannot be negative"
    }
    if !(0...1).contains(backgroundDecay) { return "the background decay (d) must lie in [0, 1]" }
    if !(backgroundScale.isFinite && backgroundScale > 0) { return "the background scale (E) must be positive" }
    if !(0...1).contains(deepSupervisionDecay) { return "the deep-supervision layer decay must lie in [0, 1]" }
    if !(0...1).contains(backgroundSwap) { return "the background-swap probability must lie in [0, 1]" }
    if !(backgroundInvariance.isFinite && backgroundInvariance >= 0) { return "the background-invariance weight must be 0 or more" }
    if invarianceBackground != .blank, backgroundInvariance == 0 {
      return "an invariance background needs a background-invariance weight above 0"
    }
    if let frozenAfter = batchNormFrozenAfterEpoch, !(1..<epochs).contains(frozenAfter) {
      return "BatchNorm can be frozen after epoch 1 to \(epochs - 1) of \(epochs)"
    }
    return nil
  }

  /// The augmentation: isnetd's geometric and intensity changes (or none), with background swapping
  /// when asked for.
  var augmentationConfiguration: AugmentationConfiguration {
    var configuration = augmentation ? AugmentationConfiguration() : .none
    if backgroundSwap > 0 { configuration.backgroundSwap = backgroundSwap }
    return configuration
  }

  /// The engine's configuration for `variant` (cut tuning only for ISNets).
  public func configuration(variant: Variant) -> TrainingConfiguration {
    var objective = ObjectiveConfiguration(variant: variant, heatmapWeight: heatmapWeight)
    objective.loss.backgroundDecay = backgroundDecay
    objective.loss.backgroundScale = backgroundScale
    objective.relevance.batchNorm = batchNormRelevance == .detached ? .detachedStatistics : .throughStatistics
    if deepSupervision, variant != .plain { objective.deepSupervision = DeepSupervisionConfiguration(layerDecay: deepSupervisionDecay) }
    if backgroundInvariance > 0 {
      objective.backgroundInvariance = backgroundInvariance
      objective.invarianceBackground = invarianceBackground
    }
    return TrainingConfiguration(
      objective: objective, epochs: epochs, batchSize: batchSize,
      optimizer: optimizer == .sgd ? .sgd(learningRate: learningRate, momentum: momentum, weightDecay: 0)
        : .adam(learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
      learningRateSchedule: learningRateSchedule == .cosine ? .cosine(floor: 0.01) : .constant,
      heatmapWeightSchedule: HeatmapWeightSchedule(warmupEpochs: Swift.min(heatmapWarmupEpochs, epochs - 1)),
      seed: seed, augmentation: augmentationConfiguration,
      cutTuningEpochs: variant == .plain ? 0 : tuneCutEpochs, batchNormRecalibrationBatches: batchNormRecalibration,
      batchNormFrozenAfterEpoch: batchNormFrozenAfterEpoch)
  }
}
