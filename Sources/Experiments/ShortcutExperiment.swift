public import Engine
import Foundation
public import Imaging
import Screening

/// The paper's synthetic-bias experiment on labelled data with a class-correlated background marker:
/// the plain classifier and each ISNet variant are trained on the same biased training split with the
/// same seed and schedule, then evaluated on the biased, unbiased and confounding test splits
/// (accuracy, macro F1, background-attention share) with their training time per epoch.
public struct ShortcutExperiment {
  public struct Configuration: Codable, Sendable, Equatable {
    public var variants: [Variant]
    public var architecture: DenseNetConfiguration
    public var preprocessing: Preprocessing
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerConfiguration
    public var heatmapWeight: Double
    public var cutTuningEpochs: Int
    public var seed: UInt64

    public init(variants: [Variant], architecture: DenseNetConfiguration, preprocessing: Preprocessing, epochs: Int,
                batchSize: Int, optimizer: OptimizerConfiguration, heatmapWeight: Double, cutTuningEpochs: Int, seed: UInt64) {
      self.variants = variants
      self.architecture = architecture
      self.preprocessing = preprocessing
      self.epochs = epochs
      self.batchSize = batchSize
      self.optimizer = optimizer
      self.heatmapWeight = heatmapWeight
      self.cutTuningEpochs = cutTuningEpochs
      self.seed = seed
    }
  }

  /// The splits a dataset for this experiment holds (the layout `isnetd synth` writes).
  public static let trainingSplit = "train"
  public static let validationSplit = "validation"
  public static let testSplits = ["test-biased", "test-unbiased", "test-confounding"]

  /// One variant's outcome.
  public struct VariantResult: Codable, Sendable {
    public var variant: Variant
    public var secondsPerEpoch: Double
    public var bestEpoch: Int
    public var tunedCuts: [Double]
    /// Per test split: accuracy, macro F1, mean background share.
    public var tests: [String: TestResult]
  }

  public struct TestResult: Codable, Sendable {
    public var accuracy: Double
    public var macroF1: Double
    public var backgroundShare: Double
  }

  /// A trained model of one variant, kept for drawing heatmaps.
  public struct TrainedModel {
    public let variant: Variant
    public let model: any Classifier
  }

  public let configuration: Configuration
  public let classNames: [String]

  public init(configuration: Configuration, classNames: [String]) {
    self.configuration = configuration
    self.classNames = classNames
  }

  /// Trains and evaluates every variant. `datasets` maps split names to loaded data.
  public func run(datasets: [String: InMemoryDataset], events: (Variant, TrainingEvent) -> Void,
                  shouldStop: () -> Bool) throws -> (results: [VariantResult], models: [TrainedModel]) {
    guard let training = datasets[Self.trainingSplit], let validation = datasets[Self.validationSplit] else {
      throw DatasetError("the experiment needs \(Self.trainingSplit)/ and \(Self.validationSplit)/ splits")
    }
    var results: [VariantResult] = []
    var models: [TrainedModel] = []
    for variant in configuration.variants {
      let objective = ObjectiveConfiguration(variant: variant, heatmapWeight: configuration.heatmapWeight)
      let trainingConfiguration = TrainingConfiguration(
        objective: objective, epochs: configuration.epochs, batchSize: configuration.batchSize,
        optimizer: configuration.optimizer, seed: configuration.seed,
        cutTuningEpochs: variant == .plain ? 0 : configuration.cutTuningEpochs)
      let architecture = configuration.architecture
      let (model, result) = try Trainer(configuration: trainingConfiguration, classNames: classNames).train(
        makeModel: { try DenseNet(architecture) }, training: training, validation: validation,
        events: { events(variant, $0) }, shouldStop: shouldStop)
      guard let best = result.best, !result.stoppedEarly else { throw DatasetError("the experiment was stopped") }
      let evaluator = Evaluator(classNames: classNames, batchSize: configuration.batchSize)
      var tests: [String: TestResult] = [:]
      for split in Self.testSplits {
        guard let data = datasets[split] else { continue }
        let metrics = try evaluator.evaluate(model, on: data).metrics
        tests[split] = TestResult(accuracy: metrics.accuracy, macroF1: metrics.macroF1,
                                  backgroundShare: metrics.backgroundShare?.mean ?? .nan)
      }
      let loss = result.configuration.objective.loss
      results.append(VariantResult(
        variant: variant, secondsPerEpoch: result.history.map(\.seconds).reduce(0, +) / Double(result.history.count),
        bestEpoch: best.epoch, tunedCuts: variant == .plain ? [] : [loss.lowerCut, loss.upperCut], tests: tests))
      models.append(TrainedModel(variant: variant, model: model))
    }
    return (results, models)
  }
}
