public import ArgumentParser
import Engine
public import Training

extension TrainingRecipe.OptimizerChoice: ExpressibleByArgument {}
extension TrainingRecipe.ScheduleChoice: ExpressibleByArgument {}
extension TrainingRecipe.BatchNormChoice: ExpressibleByArgument {}
extension InvarianceBackground: ExpressibleByArgument {}
extension TrainingOptions.RecipeChoice: ExpressibleByArgument {}
extension ClassifierTraining.ArchitectureChoice: ExpressibleByArgument {}

/// The classifier training recipe's options, shared by `train`, `experiment` and `retrain`: each
/// overrides the recipe it is given (``TrainingRecipe``'s defaults, or for `retrain` the configured
/// ones), so every default lives in the recipe.
struct TrainingOptions: ParsableArguments {
  private static let defaults = TrainingRecipe()

  enum RecipeChoice: String, CaseIterable { case isnetd, authors }

  @Option(name: .customLong("recipe"), help: "The recipe the other options override: isnetd (the defaults shown) or authors (SGD at 0.01, momentum 0.9, constant rate, no P warm-up, BatchNorm through its statistics and not recalibrated, no augmentation; give it more epochs).")
  var preset: RecipeChoice?

  @Option(help: "Passes over the training set (default \(defaults.epochs)).")
  var epochs: Int?
  @Option(help: "Images per step (default \(defaults.batchSize)).")
  var batchSize: Int?
  @Option(help: "adam or sgd (default \(defaults.optimizer.rawValue)).")
  var optimizer: TrainingRecipe.OptimizerChoice?
  @Option(help: "Learning rate (default \(defaults.learningRate)).")
  var learningRate: Double?
  @Option(help: "SGD momentum (default \(defaults.momentum)).")
  var momentum: Double?
  @Option(help: "constant, or cosine: annealed to 1 % of the rate by the last epoch (default \(defaults.learningRateSchedule.rawValue)).")
  var learningRateSchedule: TrainingRecipe.ScheduleChoice?
  @Option(help: "P: weight of the heatmap loss (default \(defaults.heatmapWeight)).")
  var heatmapWeight: Double?
  @Option(help: "Epochs over which P rises to its value (P·e/(n+1) in epoch e ≤ n; at most epochs − 1; default \(defaults.heatmapWarmupEpochs)).")
  var heatmapWarmupEpochs: Int?
  @Option(help: "d: GWRP decay of the background term (0 = max, 1 = mean; default \(defaults.backgroundDecay)).")
  var backgroundDecay: Double?
  @Option(help: "E: the background term is log(1 + GWRP/E) (default \(defaults.backgroundScale)).")
  var backgroundScale: Double?
  @Option(help: "Epochs of plain training that tune C1/C2 before the ISNet (0 keeps C1 = 1, C2 = 25; default \(defaults.tuneCutEpochs)).")
  var tuneCutEpochs: Int?
  @Option(help: "How train-mode BatchNorm enters the heatmap: detached (batch statistics as constants) or through (differentiated, as the authors' LRP-Flex code; couples a batch's heatmaps). Default \(defaults.batchNormRelevance.rawValue).")
  var batchNormRelevance: TrainingRecipe.BatchNormChoice?
  @Option(help: "Batches of training images whose statistics replace BatchNorm's running averages after each epoch, before validation (0 keeps the running averages; default \(defaults.batchNormRecalibration)).")
  var batchNormRecalibration: Int?
  @Option(name: .customLong("freeze-batch-norm-after"), help: "Freeze BatchNorm after this epoch: later steps normalise with the statistics it has then, as at inference, and nothing updates them (default: never).")
  var batchNormFrozenAfterEpoch: Int?
  @Flag(help: "Train without augmentation.")
  var noAugmentation = false
  @Flag(help: "LRP deep supervision: the heatmap loss also at the network's hidden layers (DenseNet: each transition and the last ReLU), each with its own tuned C1/C2.")
  var deepSupervision = false
  @Option(help: "dLoss: GWRP decay over the layers' heatmap losses under deep supervision (1 = their mean; default \(defaults.deepSupervisionDecay)).")
  var deepSupervisionDecay: Double?
  @Option(help: "Probability that a training image keeps its lungs and takes its background from another image of the batch, so background markers stop going with the class (default \(defaults.backgroundSwap): never).")
  var backgroundSwap: Double?
  @Option(help: "λ of a background-invariance term: the squared change of the logits when everything outside the lung mask is blanked, which a marker's effect shows in whatever path it takes (default \(defaults.backgroundInvariance): none).")
  var backgroundInvariance: Double?
  @Option(help: "What the invariance term puts outside each image's lung mask: blank (0, the padding value) or swapped (the next image's background; default \(defaults.invarianceBackground.rawValue)).")
  var invarianceBackground: InvarianceBackground?
  @Option(help: "Seed (default \(defaults.seed)).")
  var seed: UInt64?

  func validate() throws {
    if let problem = recipe().problem { throw ValidationError(problem) }
  }

  /// `base` (or the preset `--recipe` names) with every option given here applied.
  func recipe(over base: TrainingRecipe = TrainingRecipe()) -> TrainingRecipe {
    var recipe = switch preset {
    case nil: base
    case .isnetd: TrainingRecipe()
    case .authors: TrainingRecipe.authors
    }
    func apply<Value>(_ value: Value?, _ path: WritableKeyPath<TrainingRecipe, Value>) {
      if let value { recipe[keyPath: path] = value }
    }
    apply(epochs, \.epochs)
    apply(batchSize, \.batchSize)
    apply(optimizer, \.optimizer)
    apply(learningRate, \.learningRate)
    apply(momentum, \.momentum)
    apply(learningRateSchedule, \.learningRateSchedule)
    apply(heatmapWeight, \.heatmapWeight)
    apply(heatmapWarmupEpochs, \.heatmapWarmupEpochs)
    apply(backgroundDecay, \.backgroundDecay)
    apply(backgroundScale, \.backgroundScale)
    apply(tuneCutEpochs, \.tuneCutEpochs)
    apply(batchNormRelevance, \.batchNormRelevance)
    apply(batchNormRecalibration, \.batchNormRecalibration)
    if let batchNormFrozenAfterEpoch { recipe.batchNormFrozenAfterEpoch = batchNormFrozenAfterEpoch }
    if noAugmentation { recipe.augmentation = false }
    if deepSupervision { recipe.deepSupervision = true }
    apply(deepSupervisionDecay, \.deepSupervisionDecay)
    apply(backgroundSwap, \.backgroundSwap)
    apply(backgroundInvariance, \.backgroundInvariance)
    apply(invarianceBackground, \.invarianceBackground)
    apply(seed, \.seed)
    return recipe
  }

  /// The engine configuration of `variant` with the default recipe and these options.
  func configuration(variant: Variant) -> TrainingConfiguration { recipe().configuration(variant: variant) }
}

/// The optimiser options of `train-segmenter`.
struct OptimizerOptions: ParsableArguments {
  @Option(help: "adam or sgd.")
  var optimizer: TrainingRecipe.OptimizerChoice = .adam
  @Option var learningRate = 1e-3
  @Option(help: "SGD momentum.")
  var momentum = 0.9
  @Option(help: "constant, or cosine: annealed to 1 % of the rate by the last epoch.")
  var learningRateSchedule: TrainingRecipe.ScheduleChoice = .cosine

  func validate() throws {
    guard learningRate.isFinite, learningRate > 0 else { throw ValidationError("--learning-rate must be positive") }
  }

  var configuration: OptimizerConfiguration {
    optimizer == .sgd ? .sgd(learningRate: learningRate, momentum: momentum, weightDecay: 0)
      : .adam(learningRate: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0)
  }

  var schedule: LearningRateSchedule {
    learningRateSchedule == .cosine ? .cosine(floor: 0.01) : .constant
  }
}
