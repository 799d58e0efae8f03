public import Foundation
public import Imaging

/// The JSON sidecar of a checkpoint: everything needed to rebuild the model, feed it, interpret its
/// outputs and trace where it came from. Written beside the weights as `<name>.json`.
public struct CheckpointMetadata: Codable, Sendable, Equatable {
  /// 2: the training configuration records its learning-rate and P schedules and its BatchNorm
  /// recalibration, and a version-2 sidecar without them is refused. 1: written before those settings
  /// existed; they decode as what those runs did (constant rate, no P warm-up, no recalibration).
  public static let currentFormatVersion = 2

  /// "isnetd-checkpoint"; lets tools tell the sidecar apart from other JSON.
  public var format: String
  public var formatVersion: Int
  /// A unique version string for this model (creation time and a fingerprint of the weights).
  public var modelVersion: String
  /// Who wrote it ("isnetd 0.1.0-dev train"), for traceability.
  public var producer: String
  public var createdAt: Date
  public var architecture: Architecture
  public var classNames: [String]
  public var input: InputDescription
  /// The training configuration as trained (variant, every loss hyperparameter, tuned cuts, seed); nil
  /// for imported weights.
  public var training: TrainingConfiguration?
  public var trainingData: DataDescription?
  public var metrics: TrainingMetrics?
  /// A segmenter's training record and the lung-area range of its training masks; nil for classifiers
  /// (absent from older sidecars, which decode unchanged).
  public var segmentation: SegmentationMetadata?
  /// FNV-1a 64 of the weights file, checked on load.
  public var weightsFingerprint: String
  /// False until a model is validated on real patient data: every output it produces is then labelled
  /// "not for clinical use".
  public var clinicallyValidated: Bool

  public init(modelVersion: String, producer: String, createdAt: Date = Date(), architecture: Architecture,
              classNames: [String], input: InputDescription, training: TrainingConfiguration? = nil,
              trainingData: DataDescription? = nil, metrics: TrainingMetrics? = nil,
              segmentation: SegmentationMetadata? = nil, weightsFingerprint: String = "",
              clinicallyValidated: Bool = false) {
    format = "isnetd-checkpoint"
    formatVersion = Self.currentFormatVersion
    self.modelVersion = modelVersion
    self.producer = producer
    // Whole seconds: the sidecar stores ISO 8601 without fractions, so a read-back compares equal.
    self.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
    self.architecture = architecture
    self.classNames = classNames
    self.input = input
    self.training = training
    self.trainingData = trainingData
    self.metrics = metrics
    self.segmentation = segmentation
    self.weightsFingerprint = weightsFingerprint
    self.clinicallyValidated = clinicallyValidated
  }
}

extension CodingUserInfoKey {
  /// The format version of the sidecar being decoded, for settings that a version made required.
  public static let checkpointFormatVersion = CodingUserInfoKey(rawValue: "isnetd.checkpointFormatVersion")!
}

extension CheckpointMetadata {
  /// Decodes a sidecar by the rules of its own `formatVersion`.
  static func decode(_ data: Data) throws -> CheckpointMetadata {
    struct Header: Decodable { let formatVersion: Int }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    decoder.userInfo[.checkpointFormatVersion] = try decoder.decode(Header.self, from: data).formatVersion
    return try decoder.decode(CheckpointMetadata.self, from: data)
  }
}

/// The model's input: channel count and the preprocessing rule that makes it from an image (size,
/// intensity window, letterbox). The same rule is used at training and inference.
public struct InputDescription: Codable, Sendable, Equatable {
  public var channels: Int
  public var preprocessing: Preprocessing

  public init(channels: Int, preprocessing: Preprocessing) {
    self.channels = channels
    self.preprocessing = preprocessing
  }

  public var height: Int { preprocessing.height }
  public var width: Int { preprocessing.width }
}

/// The data a model was trained on.
public struct DataDescription: Codable, Sendable, Equatable {
  public var fingerprint: String
  public var trainingImages: Int
  public var validationImages: Int
  /// Free-form notes (for example which masks were pseudo-masks).
  public var notes: [String: String]

  public init(fingerprint: String, trainingImages: Int, validationImages: Int, notes: [String: String] = [:]) {
    self.fingerprint = fingerprint
    self.trainingImages = trainingImages
    self.validationImages = validationImages
    self.notes = notes
  }
}

/// Validation results recorded with a trained model.
public struct TrainingMetrics: Codable, Sendable, Equatable {
  public var bestEpoch: Int
  public var validation: ClassificationMetrics
  public var validationLosses: LossValues
  public var history: [EpochRecord]

  public init(bestEpoch: Int, validation: ClassificationMetrics, validationLosses: LossValues, history: [EpochRecord]) {
    self.bestEpoch = bestEpoch
    self.validation = validation
    self.validationLosses = validationLosses
    self.history = history
  }
}

/// What a segmenter checkpoint records beyond the common fields: how it was trained, how well it did
/// on validation, and the lung area of its training masks for the plausibility check.
public struct SegmentationMetadata: Codable, Sendable, Equatable {
  /// Lung area of the training masks as fractions of their images' areas.
  public var trainingLungArea: LungAreaRange?
  /// The training configuration as trained; nil for imported weights.
  public var training: SegmenterTrainingConfiguration?
  public var bestEpoch: Int?
  /// Validation metrics of the saved weights (mean, median and minimum Dice of the lung class).
  public var validation: SegmentationMetrics?
  public var validationLosses: SegmentationLossValues?
  /// Every epoch up to the saved one.
  public var history: [SegmenterEpochRecord]

  public init(trainingLungArea: LungAreaRange?, training: SegmenterTrainingConfiguration? = nil, bestEpoch: Int? = nil,
              validation: SegmentationMetrics? = nil, validationLosses: SegmentationLossValues? = nil,
              history: [SegmenterEpochRecord] = []) {
    self.trainingLungArea = trainingLungArea
    self.training = training
    self.bestEpoch = bestEpoch
    self.validation = validation
    self.validationLosses = validationLosses
    self.history = history
  }
}

extension CheckpointMetadata {
  /// The LRP settings the model's heatmaps are computed with: those it was trained with, so screening
  /// explains a prediction the way training penalised it; the engine's defaults for imported weights.
  public var relevance: RelevanceSettings { training?.objective.relevance ?? RelevanceSettings() }
}
