public import Engine
import Foundation
public import Imaging
import Screening

/// The paper's synthetic-bias experiment on labelled data with a class-correlated background marker:
/// the plain classifier and each ISNet variant are trained on the same biased training split with the
/// same seed and schedule, then evaluated on the biased, unbiased and confounding test splits
/// (accuracy, macro F1, background-attention share) with their training time per epoch. Given
/// marker-free training data, a plain classifier trained on it is the ceiling each variant is measured
/// against: the method's claim is that an ISNet trained on biased data behaves like it.
public struct ShortcutExperiment {
  public struct Configuration: Codable, Sendable, Equatable {
    public var variants: [Variant]
    public var architecture: Architecture
    public var preprocessing: Preprocessing
    /// The recipe every variant trains with; its objective's variant is replaced by each variant in
    /// turn, and the plain classifier tunes no cuts.
    public var training: TrainingConfiguration

    public init(variants: [Variant], architecture: Architecture, preprocessing: Preprocessing,
                training: TrainingConfiguration) {
      self.variants = variants
      self.architecture = architecture
      self.preprocessing = preprocessing
      self.training = training
    }

    /// The training configuration of one variant.
    public func training(for variant: Variant) -> TrainingConfiguration {
      var configuration = training
      configuration.objective.variant = variant
      if variant == .plain {
        configuration.cutTuningEpochs = 0
        configuration.objective.deepSupervision = nil
      }
      return configuration
    }
  }

  /// The splits a dataset for this experiment holds (the layout `isnetd synth` writes).
  public static let trainingSplit = "train"
  public static let validationSplit = "validation"
  public static let testSplits = ["test-biased", "test-unbiased", "test-confounding"]

  /// One variant's outcome.
  public struct VariantResult: Codable, Sendable {
    public var variant: Variant
    /// Whether this is the marker-free reference: a plain classifier trained on data without markers.
    public var markerFreeReference: Bool
    public var secondsPerEpoch: Double
    public var bestEpoch: Int
    /// C1, C2 of the input map, then of each supervised hidden layer under deep supervision.
    public var tunedCuts: [Double]
    /// Per test split: accuracy, macro F1, mean background share.
    public var tests: [String: TestResult]
    /// How the confounding split's markers move this model (nil without the data's manifest).
    public var markerAblation: MarkerAblation.Figures?

    static let referenceName = "reference"

    /// "reference" for the marker-free reference, else the variant.
    public var name: String { markerFreeReference ? Self.referenceName : variant.rawValue }
  }

  public struct TestResult: Codable, Sendable {
    public var accuracy: Double
    public var macroF1: Double
    public var backgroundShare: Double
    /// Accuracy per background marker kind ("none" for unmarked images), when the split's markers
    /// are known: which shortcut a model still follows shows as a low confounding accuracy for its kind.
    public var accuracyByMarker: [String: Double]
  }

  /// A trained model of one variant, kept for drawing heatmaps.
  public struct TrainedModel {
    public let name: String
    public let model: any Classifier
  }

  public let configuration: Configuration
  public let classNames: [String]

  public init(configuration: Configuration, classNames: [String]) {
    self.configuration = configuration
    self.classNames = classNames
  }

  /// Trains and evaluates every variant on `data`, and the plain marker-free reference first when
  /// `data` has its training data; measures how the confounding markers act on each trained model
  /// when `data` has their twins. `events` names the model in training ("reference" or the variant).
  public func run(data: ExperimentData, events: (String, TrainingEvent) -> Void,
                  shouldStop: () -> Bool) throws -> (results: [VariantResult], models: [TrainedModel]) {
    let datasets = data.datasets
    guard let training = datasets[Self.trainingSplit], let validation = datasets[Self.validationSplit] else {
      throw DatasetError(.splitMissing, "the experiment needs \(Self.trainingSplit)/ and \(Self.validationSplit)/ splits")
    }
    var runs = configuration.variants.map { (variant: $0, reference: false, training: training, validation: validation) }
    if let reference = data.reference { runs.insert((.plain, true, reference.training, reference.validation), at: 0) }
    var results: [VariantResult] = []
    var models: [TrainedModel] = []
    for run in runs {
      let name = run.reference ? VariantResult.referenceName : run.variant.rawValue
      let architecture = configuration.architecture
      let (model, result) = try Trainer(configuration: configuration.training(for: run.variant), classNames: classNames).train(
        makeModel: { try architecture.makeClassifier() }, training: run.training, validation: run.validation,
        events: { events(name, $0) }, shouldStop: shouldStop)
      // Training has a best epoch unless a stop came before the first one ended.
      guard !result.stoppedEarly, let best = result.best else {
        throw StopRequested("while training \(run.reference ? "the marker-free reference" : "the \(name) variant"), before any results")
      }
      let evaluator = Evaluator(classNames: classNames, batchSize: configuration.training.batchSize)
      var tests: [String: TestResult] = [:]
      for split in Self.testSplits {
        guard let test = datasets[split] else { continue }
        let evaluation = try evaluator.evaluate(model, on: test)
        let metrics = evaluation.metrics
        tests[split] = TestResult(accuracy: metrics.accuracy, macroF1: metrics.macroF1,
                                  backgroundShare: metrics.backgroundShare?.mean ?? .nan,
                                  accuracyByMarker: Self.accuracy(of: evaluation.outcomes, groupedBy: data.markers[split] ?? []))
      }
      let objective = result.configuration.objective
      let hiddenCuts = objective.deepSupervision?.hiddenCuts ?? []
      let cuts = run.variant == .plain ? [] : [objective.loss.lowerCut, objective.loss.upperCut] + hiddenCuts.flatMap { [$0.lower, $0.upper] }
      results.append(VariantResult(
        variant: run.variant, markerFreeReference: run.reference,
        secondsPerEpoch: result.history.map(\.seconds).reduce(0, +) / Double(result.history.count),
        bestEpoch: best.epoch, tunedCuts: cuts, tests: tests,
        markerAblation: try data.ablation.map { try $0.measure(model, relevance: configuration.training.objective.relevance) }))
      models.append(TrainedModel(name: name, model: model))
    }
    return (results, models)
  }

  /// Accuracy within each group; empty unless every outcome has a group.
  static func accuracy(of outcomes: [ImageOutcome], groupedBy groups: [String]) -> [String: Double] {
    guard groups.count == outcomes.count else { return [:] }
    var counts: [String: (correct: Int, total: Int)] = [:]
    for (outcome, group) in zip(outcomes, groups) {
      counts[group, default: (0, 0)].total += 1
      if outcome.predicted == outcome.label { counts[group, default: (0, 0)].correct += 1 }
    }
    return counts.mapValues { Double($0.correct) / Double($0.total) }
  }
}
