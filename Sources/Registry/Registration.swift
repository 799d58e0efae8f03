public import Foundation
import Screening

/// registration.json, inside each registered bundle: how the model was trained, on what, how it and the
/// model it would replace did on the same validation images, and the gate's decision. Written once,
/// before the bundle enters the registry; never changed.
public struct Registration: Codable, Sendable, Equatable {
  public static let formatName = "isnetd-model-registration"
  public static let currentFormatVersion = 1

  public var format = formatName
  public var formatVersion = currentFormatVersion
  /// The bundle's version (its manifest's), which names its registry folder.
  public var version: String
  public var createdAt: Date
  public var isnetdVersion: String
  /// "manual" (`isnetd retrain`) or "scheduled" (the timer).
  public var trigger: String
  public var variant: String
  public var data: TrainingDataRecord
  public var trainingSeconds: Double
  /// The candidate on the validation split.
  public var candidate: ValidationFigures
  /// The model it would replace, on the same images.
  public var comparedWith: Comparison
  /// The candidate on the external test folder, when one is configured (never trained on).
  public var test: ValidationFigures?
  public var decision: GateDecision

  public init(version: String, createdAt: Date, isnetdVersion: String, trigger: String, variant: String,
              data: TrainingDataRecord, trainingSeconds: Double, candidate: ValidationFigures, comparedWith: Comparison,
              test: ValidationFigures?, decision: GateDecision) {
    self.version = version
    self.createdAt = createdAt
    self.isnetdVersion = isnetdVersion
    self.trigger = trigger
    self.variant = variant
    self.data = data
    self.trainingSeconds = trainingSeconds
    self.candidate = candidate
    self.comparedWith = comparedWith
    self.test = test
    self.decision = decision
  }

  /// Versions name folders, by the rule of bundle ids: 1 to 64 letters, digits, '.', '_' or '-', not
  /// starting with '.'.
  public static func isValidVersion(_ version: String) -> Bool { BundleRecipe.isValidID(version) }
}

/// What a retrain learned from.
public struct TrainingDataRecord: Codable, Sendable, Equatable {
  public var root: String
  public var classes: [String]
  /// The split rule and the share of instances it puts in validation.
  public var splitRule: String
  public var validationFraction: Double
  public var trainingImages: Int
  public var validationImages: Int
  /// Images that got a pseudo-mask from the segmenter, and those whose pseudo-mask was implausible.
  public var pseudoMasks: Int
  public var rejectedPseudoMasks: Int
  /// Files of the data folder that could not be used.
  public var unusableFiles: Int
  /// Instances not used by the previous retrain.
  public var newImages: Int

  public init(root: String, classes: [String], splitRule: String, validationFraction: Double, trainingImages: Int,
              validationImages: Int, pseudoMasks: Int, rejectedPseudoMasks: Int, unusableFiles: Int, newImages: Int) {
    self.root = root
    self.classes = classes
    self.splitRule = splitRule
    self.validationFraction = validationFraction
    self.trainingImages = trainingImages
    self.validationImages = validationImages
    self.pseudoMasks = pseudoMasks
    self.rejectedPseudoMasks = rejectedPseudoMasks
    self.unusableFiles = unusableFiles
    self.newImages = newImages
  }
}

/// A bundle screened over labelled images, as the daemon would screen them.
public struct ValidationFigures: Codable, Sendable, Equatable {
  public var images: Int
  /// Images that got a prediction (the others were refused by the pipeline).
  public var predicted: Int
  /// Predictions that were right.
  public var correct: Int
  public var accuracy: Double
  /// The accuracy of always answering the commonest label among the predicted images.
  public var chanceAccuracy: Double
  public var macroF1: Double
  /// Images with a plausible lung mask, over which the background share is averaged.
  public var assessed: Int
  /// The mean share of the prediction's relevance outside the lungs; nil when no image was assessed.
  public var backgroundShare: Double?

  public init(images: Int, predicted: Int, correct: Int, chanceAccuracy: Double, macroF1: Double, assessed: Int,
              backgroundShare: Double?) {
    self.images = images
    self.predicted = predicted
    self.correct = correct
    self.accuracy = predicted == 0 ? 0 : Double(correct) / Double(predicted)
    self.chanceAccuracy = chanceAccuracy
    self.macroF1 = macroF1
    self.assessed = assessed
    self.backgroundShare = backgroundShare
  }

  /// The chance of `correct` or more right answers out of `predicted` for a model that only guesses
  /// the commonest label (one-sided binomial tail at `chanceAccuracy`): small when the model learned
  /// something the labels hold.
  public var chanceProbability: Double {
    let n = predicted, k = correct, p = chanceAccuracy
    guard n > 0, k > 0 else { return 1 }
    guard p > 0 else { return 0 }
    guard p < 1 else { return 1 }
    func logChoose(_ n: Int, _ i: Int) -> Double { lgamma(Double(n + 1)) - lgamma(Double(i + 1)) - lgamma(Double(n - i + 1)) }
    return min(1, (k...n).reduce(0.0) { $0 + exp(logChoose(n, $1) + Double($1) * log(p) + Double(n - $1) * log(1 - p)) })
  }
}

/// The model a candidate was measured against.
public struct Comparison: Codable, Sendable, Equatable {
  /// Its bundle version.
  public var version: String
  /// Where it came from: "registry" or the configured bundle's path.
  public var source: String
  /// Its figures on the candidate's validation images; nil when its classes are not the data's, so it
  /// cannot be measured there (the candidate is then held to the gate's floors alone).
  public var figures: ValidationFigures?

  public init(version: String, source: String, figures: ValidationFigures?) {
    self.version = version
    self.source = source
    self.figures = figures
  }
}
