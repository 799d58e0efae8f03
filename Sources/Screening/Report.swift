import DICOM
import Engine
public import Foundation
import Imaging

/// isnetd's version, written into every report and bundle.
public let isnetdVersion = "0.1.0-dev"

/// The JSON report of one input: what was read, which model answered, its answer, the shortcut
/// checks with the limits they used, the lung mask, timing, and the not-for-clinical-use notice.
/// Keys are snake_case; `schemas/report.schema.json` (JSON Schema 2020-12) describes every field, and
/// docs/reports.md explains them. No patient name, ID or birth date unless asked for.
public struct Report: Codable, Sendable, Equatable {
  public static let schemaVersion = "1.0.0"
  public static let notice = "Not for clinical use: isnetd's models have not been validated on patient data; do not use its results for diagnosis or treatment."

  /// How the input's screening ended.
  public enum Verdict: String, Codable, Sendable, CaseIterable {
    /// Classified, and both shortcut checks made.
    case screened
    /// Classified, but the lung mask is implausible, so the shortcut checks could not be made.
    case notAssessable = "not_assessable"
    /// An acceptance rule refused the input (the problem says which).
    case notScreened = "not_screened"
    /// The input could not be read or decoded, or a network failed on it (the problem says why).
    case error
  }

  public struct TransferSyntaxSection: Codable, Sendable, Equatable {
    public var uid: String
    public var name: String
  }

  public struct Input: Codable, Sendable, Equatable {
    public var fileName: String
    public var sha256: String?
    public var sizeBytes: Int?
    public var sopInstanceUid: String?
    public var sopClassUid: String?
    public var studyInstanceUid: String?
    public var seriesInstanceUid: String?
    public var accessionNumber: String?
    public var modality: String?
    public var viewPosition: String?
    public var bodyPartExamined: String?
    public var rows: Int?
    public var columns: Int?
    public var photometricInterpretation: String?
    public var transferSyntax: TransferSyntaxSection?
  }

  public struct MetricsSection: Codable, Sendable, Equatable {
    public var images: Int
    public var accuracy: Double
    public var macroF1: Double
  }

  public struct Model: Codable, Sendable, Equatable {
    public var id: String
    public var version: String
    public var variant: String?
    public var classes: [String]
    public var trainedAt: Date
    public var classifierVersion: String
    public var segmenterVersion: String
    /// The classifier's validation metrics at its best epoch.
    public var validation: MetricsSection?
    /// The whole pipeline's metrics on the calibration images.
    public var calibration: MetricsSection
    public var clinicallyValidated: Bool
  }

  public struct ClassProbability: Codable, Sendable, Equatable {
    public var `class`: String
    public var probability: Double
  }

  public struct ClassificationSection: Codable, Sendable, Equatable {
    public var prediction: String
    public var confidence: Double
    /// Every class, in the model's order.
    public var probabilities: [ClassProbability]
  }

  public struct LimitCalibration: Codable, Sendable, Equatable {
    public var quantile: Double
    public var images: Int
    public var calibrated: Double
    public var ceiling: Double

    init(_ limit: CalibratedLimit) {
      quantile = limit.quantile
      images = limit.images
      calibrated = limit.calibrated
      ceiling = limit.ceiling
    }
  }

  public struct BackgroundRelevance: Codable, Sendable, Equatable {
    /// Σ|R|·(1−M)/Σ|R| of the predicted class's heatmap over the dilated lung mask.
    public var share: Double
    public var threshold: Double
    public var fired: Bool
    public var thresholdCalibration: LimitCalibration
  }

  public struct BackgroundRemovalSection: Codable, Sendable, Equatable {
    /// The prediction without the background.
    public var prediction: String
    public var predictionChanged: Bool
    /// The original prediction's probability without the background.
    public var confidence: Double
    public var confidenceDrop: Double
    public var confidenceDropLimit: Double
    public var confidenceDropCalibration: LimitCalibration
    /// The best other class's probability minus the original class's, without the background.
    public var switchMargin: Double
    public var switchMarginLimit: Double
    public var switchMarginCalibration: LimitCalibration
    public var fired: Bool
    /// The model-input value the background was replaced by.
    public var fill: Double
  }

  public struct ShortcutChecksSection: Codable, Sendable, Equatable {
    public var checksFired: [ShortcutCheck]
    public var backgroundRelevance: BackgroundRelevance
    public var backgroundRemoval: BackgroundRemovalSection
  }

  public struct Reason: Codable, Sendable, Equatable {
    public var code: ImplausibilityReason
    public var sentence: String
  }

  public struct LungMaskSection: Codable, Sendable, Equatable {
    public var plausible: Bool
    public var reasons: [Reason]
    /// The mask's size: the image's, or scaled down to the pipeline's mask size.
    public var width: Int
    public var height: Int
    /// Lung pixels as a fraction of the image.
    public var areaFraction: Double
    /// Lung pixels of the mask.
    public var lungPixels: Int
    /// Pixels of the two kept regions, largest first.
    public var regions: [Int]
    public var quality: Double
    /// The background check's margin around the lungs, in original pixels.
    public var dilationRadiusPixels: Double
  }

  /// File names in the report's folder; nil for what was not written.
  public struct Outputs: Codable, Sendable, Equatable {
    public var report: String?
    public var overlay: String?
    public var lungMask: String?
    public var relevance: String?
    public var dicomSr: String?
    public var dicomSc: String?

    public init(report: String? = nil) {
      self.report = report
    }
  }

  public struct Timing: Codable, Sendable, Equatable {
    public var intakeMs: Double
    public var segmentMs: Double
    public var classifyMs: Double
    public var backgroundChecksMs: Double
    public var renderMs: Double
    public var writeMs: Double
    public var totalMs: Double
    /// Images that went through the networks together; their batch times are shared out equally.
    public var batchSize: Int
  }

  /// Only with `--include-patient-fields`.
  public struct Patient: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String?
    public var sex: String?
    public var age: String?
  }

  public var schemaVersion: String
  public var notice: String
  public var isnetdVersion: String
  public var createdAt: Date
  public var verdict: Verdict
  /// nil unless screened.
  public var shortcutSuspected: Bool?
  /// One sentence for radiographers: the verdict and why.
  public var explanation: String
  public var input: Input
  public var model: Model
  public var classification: ClassificationSection?
  public var shortcutChecks: ShortcutChecksSection?
  public var lungMask: LungMaskSection?
  /// Why the input was not screened, or the error; nil otherwise.
  public var problem: Problem?
  public var warnings: [String]
  public var outputs: Outputs
  public var timing: Timing
  public var patient: Patient?
}

extension Report {
  /// The report of `result`, screened with `bundle`. The outputs and timing are filled in by the writer.
  public init(_ result: ScreeningResult, bundle: ModelBundle, batchSize: Int, includePatientFields: Bool = false,
              createdAt: Date = Date()) {
    let manifest = bundle.manifest
    let checks = bundle.shortcutChecks
    let metadata = result.metadata
    schemaVersion = Self.schemaVersion
    notice = Self.notice
    self.isnetdVersion = Screening.isnetdVersion
    // Whole seconds: ISO 8601 without fractions, so a report read back compares equal.
    self.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
    input = Input(
      fileName: result.file.name, sha256: result.file.sha256, sizeBytes: result.file.byteCount,
      sopInstanceUid: metadata?.sopInstanceUID, sopClassUid: metadata?.sopClassUID, studyInstanceUid: metadata?.studyInstanceUID,
      seriesInstanceUid: metadata?.seriesInstanceUID, accessionNumber: metadata?.accessionNumber, modality: metadata?.modality,
      viewPosition: metadata?.viewPosition, bodyPartExamined: metadata?.bodyPartExamined, rows: metadata?.rows,
      columns: metadata?.columns, photometricInterpretation: metadata?.photometricInterpretation,
      transferSyntax: metadata.map { TransferSyntaxSection(uid: $0.transferSyntax.uid, name: $0.transferSyntax.name) })
    let validation = manifest.model.validation
    let data = manifest.shortcutChecks.data
    model = Model(
      id: manifest.id, version: manifest.version, variant: manifest.model.variant?.rawValue, classes: manifest.classes,
      trainedAt: manifest.model.trainedAt, classifierVersion: manifest.classifier.modelVersion,
      segmenterVersion: manifest.segmenter.modelVersion,
      validation: validation.map { MetricsSection(images: $0.count, accuracy: $0.accuracy, macroF1: $0.macroF1) },
      calibration: MetricsSection(images: data.assessed, accuracy: data.accuracy, macroF1: data.macroF1),
      clinicallyValidated: manifest.clinicallyValidated)
    warnings = result.image?.warnings ?? []
    outputs = Outputs()
    timing = Timing(result.timing, batchSize: batchSize)
    patient = includePatientFields ? metadata.map { Patient(id: $0.patient.id, name: $0.patient.name, sex: $0.patient.sex, age: $0.patient.age) } : nil

    switch result.outcome {
    case .notScreened(let problem), .failed(let problem):
      verdict = problem.isNotScreened ? .notScreened : .error
      shortcutSuspected = nil
      explanation = problem.isNotScreened ? problem.sentence : "isnetd could not screen this input: \(problem.sentence.prefix(1).lowercased())\(problem.sentence.dropFirst())"
      classification = nil
      shortcutChecks = nil
      lungMask = nil
      self.problem = problem
    case .analysed(let analysis):
      let classes = manifest.classes
      let answer = analysis.classification
      classification = ClassificationSection(
        prediction: classes[answer.predicted], confidence: answer.confidence,
        probabilities: zip(classes, answer.probabilities).map { ClassProbability(class: $0, probability: $1) })
      let assessment = analysis.segmentation.assessment
      let mask = analysis.segmentation.mask
      lungMask = LungMaskSection(
        plausible: assessment.isPlausible, reasons: assessment.reasons.map { Reason(code: $0, sentence: $0.sentence) },
        width: mask.width, height: mask.height, areaFraction: assessment.areaFraction, lungPixels: assessment.lungPixels,
        regions: assessment.lungAreas, quality: assessment.quality, dilationRadiusPixels: analysis.segmentation.sourceDilationRadius)
      explanation = checks.explanation(for: analysis)
      problem = nil
      if let verdict = checks.verdict(for: analysis), let share = analysis.backgroundShare, let removal = analysis.backgroundRemoval {
        self.verdict = .screened
        shortcutSuspected = verdict.suspected
        let calibration = manifest.shortcutChecks
        shortcutChecks = ShortcutChecksSection(
          checksFired: verdict.fired,
          backgroundRelevance: BackgroundRelevance(
            share: share, threshold: calibration.backgroundShare.value, fired: verdict.fired.contains(.backgroundRelevance),
            thresholdCalibration: LimitCalibration(calibration.backgroundShare)),
          backgroundRemoval: BackgroundRemovalSection(
            prediction: classes[removal.classification.predicted], predictionChanged: removal.predictionChanged,
            confidence: removal.classification.probabilities[answer.predicted], confidenceDrop: removal.confidenceDrop,
            confidenceDropLimit: calibration.confidenceDrop.value,
            confidenceDropCalibration: LimitCalibration(calibration.confidenceDrop), switchMargin: removal.switchMargin,
            switchMarginLimit: calibration.predictionSwitch.value,
            switchMarginCalibration: LimitCalibration(calibration.predictionSwitch),
            fired: verdict.fired.contains(.backgroundRemoval), fill: Double(calibration.backgroundRemovalFill)))
      } else {
        verdict = .notAssessable
        shortcutSuspected = nil
        shortcutChecks = nil
      }
    }
  }

  private enum CodingKeys: String, CodingKey {
    case schemaVersion, notice, isnetdVersion, createdAt, verdict, shortcutSuspected, explanation, input, model
    case classification, shortcutChecks, lungMask, problem, warnings, outputs, timing, patient
  }

  /// The top-level keys are always present, `null` when they do not apply (nested optional values are
  /// left out instead), so a consumer can rely on `shortcut_suspected` and its siblings.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(schemaVersion, forKey: .schemaVersion)
    try container.encode(notice, forKey: .notice)
    try container.encode(isnetdVersion, forKey: .isnetdVersion)
    try container.encode(createdAt, forKey: .createdAt)
    try container.encode(verdict, forKey: .verdict)
    try container.encode(shortcutSuspected, forKey: .shortcutSuspected)
    try container.encode(explanation, forKey: .explanation)
    try container.encode(input, forKey: .input)
    try container.encode(model, forKey: .model)
    try container.encode(classification, forKey: .classification)
    try container.encode(shortcutChecks, forKey: .shortcutChecks)
    try container.encode(lungMask, forKey: .lungMask)
    try container.encode(problem, forKey: .problem)
    try container.encode(warnings, forKey: .warnings)
    try container.encode(outputs, forKey: .outputs)
    try container.encode(timing, forKey: .timing)
    try container.encodeIfPresent(patient, forKey: .patient)
  }

  /// The report as pretty-printed JSON with sorted keys; every number is finite by construction (the
  /// pipeline refuses non-finite network outputs), so encoding cannot fail on a value.
  public func encoded() throws -> Data {
    try Self.encoder.encode(self)
  }

  /// The report as one line of JSON (for JSON Lines output).
  public func jsonLine() throws -> Data {
    try Self.lineEncoder.encode(self)
  }

  public static func decoded(from data: Data) throws -> Report {
    try decoder.decode(Report.self, from: data)
  }

  static let encoder = makeEncoder(pretty: true)
  static let lineEncoder = makeEncoder(pretty: false)

  static func makeEncoder(pretty: Bool) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.dateEncodingStrategy = .iso8601
    return encoder
  }

  static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }()
}

extension Report.Timing {
  init(_ timing: StageTiming, batchSize: Int) {
    // Milliseconds to the microsecond.
    func milliseconds(_ seconds: Double) -> Double { (seconds * 1_000_000).rounded() / 1000 }
    intakeMs = milliseconds(timing.intake)
    segmentMs = milliseconds(timing.segment)
    classifyMs = milliseconds(timing.classify)
    backgroundChecksMs = milliseconds(timing.backgroundChecks)
    renderMs = milliseconds(timing.render)
    writeMs = milliseconds(timing.write)
    totalMs = milliseconds(timing.total)
    self.batchSize = batchSize
  }
}
