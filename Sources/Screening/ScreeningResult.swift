public import DICOM
public import Imaging

/// The outcome of a pipeline's intake for one file.
public enum Intake: Sendable {
  /// Decoded and ready for the networks.
  case prepared(PreparedImage)
  /// Not screened (an acceptance rule) or not readable; the metadata when it could be read.
  case refused(InputFile, DICOMMetadata?, Problem)

  public var prepared: PreparedImage? {
    if case .prepared(let image) = self { return image }
    return nil
  }
}

/// A decoded file with the networks' inputs made from it, and what its picture needs. The full-size
/// frame is not kept: a 2,000 x 2,500 film is 20 MB of Float32, and several batches are in flight.
public struct PreparedImage: Sendable {
  public let file: InputFile
  public let metadata: DICOMMetadata
  /// What decoding met and handled.
  public let warnings: [String]
  /// The frame on the working grid (``ImageIntake/viewLongestSide``): what pictures are drawn from.
  public let view: GrayImage
  /// The window that shows `view` for reading: the file's first VOI window, or its percentile window.
  public let viewWindow: IntensityWindow
  public let classifierInput: ModelInput
  /// The same value as `classifierInput` when both networks share their input rule.
  public let segmenterInput: ModelInput
  /// Reading, hashing, decoding and preprocessing.
  public let intakeSeconds: Double
}

/// The classifier's answer for one image.
public struct Classification: Sendable, Equatable {
  /// Softmax probabilities, one per class in the model's order.
  public let probabilities: [Double]
  /// The class with the highest probability (the first of equals).
  public let predicted: Int

  /// `predicted` defaults to the most probable class (the first of equals).
  public init(probabilities: [Double], predicted: Int? = nil) {
    precondition(!probabilities.isEmpty, "a classification has at least one class")
    self.probabilities = probabilities
    self.predicted = predicted ?? probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
    precondition(probabilities.indices.contains(self.predicted), "the prediction is one of the classes")
  }

  /// The probability of the predicted class.
  public var confidence: Double { probabilities[predicted] }
}

/// The prediction again with everything outside the dilated lung mask replaced by a neutral value.
public struct BackgroundRemoval: Sendable, Equatable {
  /// Probabilities on the image with its background removed.
  public let classification: Classification
  /// The original prediction's probability minus its probability without the background (negative
  /// when removing the background made the model surer).
  public let confidenceDrop: Double
  /// Whether the prediction without the background is another class.
  public let predictionChanged: Bool
  /// How far the best other class beats the original one without the background: the highest other
  /// probability minus the original class's; positive exactly when the prediction changed, and small
  /// when it changed between near-equal classes.
  public let switchMargin: Double

  public init(original: Classification, probabilities: [Double]) {
    classification = Classification(probabilities: probabilities)
    confidenceDrop = original.confidence - probabilities[original.predicted]
    predictionChanged = classification.predicted != original.predicted
    let others = probabilities.indices.filter { $0 != original.predicted }.map { probabilities[$0] }
    switchMargin = (others.max() ?? 0) - probabilities[original.predicted]
  }
}

/// A relevance heatmap at the classifier's input size: `channels` x `height` x `width`, row-major.
public struct RelevanceMap: Sendable, Equatable {
  public let values: [Float]
  public let channels: Int
  public let width: Int
  public let height: Int

  /// The channels summed: one value per model pixel, what pictures show.
  public var summed: GrayImage {
    var pixels = [Float](repeating: 0, count: width * height)
    for channel in 0..<channels {
      for index in pixels.indices { pixels[index] += values[channel * width * height + index] }
    }
    return GrayImage(width: width, height: height, pixels: pixels)
  }
}

/// What the networks found for one image.
public struct Analysis: Sendable {
  public let classification: Classification
  public let segmentation: LungSegmentation
  /// The LRP-Flex heatmap of the predicted class.
  public let relevance: RelevanceMap
  /// The dilated lung mask letterboxed into the classifier's input (1 = inside), as the background
  /// share used it; nil when the mask is implausible.
  public let backgroundCheckMask: [Float]?
  /// Σ|R|·(1−M)/Σ|R|; nil when the mask is implausible.
  public let backgroundShare: Double?
  /// nil when the mask is implausible.
  public let backgroundRemoval: BackgroundRemoval?

  /// Whether the background checks could be made: the lung mask is plausible.
  public var isAssessable: Bool { segmentation.isPlausible }
}

/// How one file's screening ended.
public enum ScreeningOutcome: Sendable {
  /// The networks ran; see ``Analysis/isAssessable``.
  case analysed(Analysis)
  /// An acceptance rule refused the file (`*_not_screened`).
  case notScreened(Problem)
  /// The file could not be read or decoded, or a network failed on it.
  case failed(Problem)
}

/// Seconds spent per stage on one image; batched stages are the batch's time divided among its images.
public struct StageTiming: Sendable, Equatable {
  public var intake: Double = 0
  public var segment: Double = 0
  public var classify: Double = 0
  public var backgroundChecks: Double = 0
  public var render: Double = 0
  public var write: Double = 0

  public init(intake: Double = 0, segment: Double = 0, classify: Double = 0, backgroundChecks: Double = 0) {
    self.intake = intake
    self.segment = segment
    self.classify = classify
    self.backgroundChecks = backgroundChecks
  }

  public var total: Double { intake + segment + classify + backgroundChecks + render + write }
}

/// One file through the pipeline.
public struct ScreeningResult: Sendable {
  public let file: InputFile
  /// nil when the file could not be read as DICOM.
  public let metadata: DICOMMetadata?
  /// The decoded image and model inputs; nil when intake refused the file.
  public let image: PreparedImage?
  public let outcome: ScreeningOutcome
  public var timing: StageTiming
}

extension ScreeningResult {
  /// The result of a file intake refused: not screened for an acceptance rule, failed otherwise.
  public init(refused file: InputFile, metadata: DICOMMetadata?, problem: Problem) {
    self.init(file: file, metadata: metadata, image: nil, outcome: problem.isNotScreened ? .notScreened(problem) : .failed(problem),
              timing: StageTiming())
  }
}
