public import Engine
public import Foundation
import Durable
import Imaging

/// `bundle.json`: what a model bundle is, what its parts are, and how its shortcut checks were
/// calibrated, so every number in a report can be traced (docs/model-bundle.md).
public struct BundleManifest: Codable, Sendable, Equatable {
  public static let formatName = "isnetd-model-bundle"
  public static let currentFormatVersion = 1

  /// One network of the bundle, as recorded when the bundle was made; checked against the part on load.
  public struct Part: Codable, Sendable, Equatable {
    public var modelVersion: String
    /// FNV-1a 64 of the weights file, as in its sidecar.
    public var weightsFingerprint: String
  }

  /// The classifier's provenance, copied from its sidecar so `bundle show` and reports need no other file.
  public struct Provenance: Codable, Sendable, Equatable {
    public var variant: Variant?
    public var architecture: Architecture
    /// When the classifier was trained (its sidecar's creation time).
    public var trainedAt: Date
    public var training: TrainingConfiguration?
    public var trainingData: DataDescription?
    /// The classifier's validation metrics at its best epoch.
    public var validation: ClassificationMetrics?
  }

  /// How the lung mask is made into the background check's mask and judged.
  public struct LungMaskSettings: Codable, Sendable, Equatable {
    /// The margin around the lungs, as a fraction of the image's longer side.
    public var dilationMargin: Double
    public var rules: LungMaskRules

    /// The segmenter's defaults (docs/segmentation.md).
    public init(dilationMargin: Double = LungSegmenter.Options().dilationMargin, rules: LungMaskRules = LungMaskRules()) {
      self.dilationMargin = dilationMargin
      self.rules = rules
    }
  }

  /// "isnetd-model-bundle".
  public var format: String
  public var formatVersion: Int
  /// The bundle's name ("default").
  public var id: String
  /// Unique per bundle: creation time and variant ("20261204T150102Z-selective").
  public var version: String
  public var createdAt: Date
  /// The isnetd that made the bundle.
  public var isnetdVersion: String
  public var classes: [String]
  /// The classifier's input: channels and preprocessing rule (size, intensity window, letterbox).
  public var input: InputDescription
  public var model: Provenance
  public var classifier: Part
  public var segmenter: Part
  public var lungMask: LungMaskSettings
  public var shortcutChecks: ShortcutCalibration
  /// False until the model is validated on patient data: every output says "not for clinical use".
  public var clinicallyValidated: Bool
}

/// Which part of a bundle a problem is in.
public enum BundlePart: String, Sendable, CaseIterable {
  case bundle = "bundle.json"
  case classifier = "classifier"
  case segmenter = "segmenter"
}

/// A bundle that cannot be loaded or made; the message names the part.
public struct ModelBundleError: Error, Equatable, CustomStringConvertible, Sendable {
  public let part: BundlePart?
  public let message: String

  public init(_ part: BundlePart?, _ message: String) {
    self.part = part
    self.message = message
  }

  public var description: String { part.map { "\($0.rawValue): \(message)" } ?? message }
}

/// A model bundle: a folder `NAME.isnetd-model/` holding the classifier checkpoint
/// (`classifier.safetensors`, `classifier.json`), the lung segmenter checkpoint (`segmenter.*`) and
/// `bundle.json` (``BundleManifest``). Loading checks that every part is there and that the parts
/// agree (classes, input, weights fingerprints) before anything is screened with it.
public struct ModelBundle {
  public static let classifierStem = BundlePart.classifier.rawValue
  public static let segmenterStem = BundlePart.segmenter.rawValue
  public static let manifestName = "bundle.json"
  /// bundle.json is small; a larger file is refused before it is read.
  static let manifestByteLimit = 4 << 20

  public let path: String
  public let manifest: BundleManifest
  public let models: ScreeningModels

  /// Loads and checks the bundle at `path`.
  public init(path: String) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw ModelBundleError(nil, "\(path) is not a model bundle folder")
    }
    let manifest = try Self.readManifest(in: path)
    for part in [BundlePart.classifier, .segmenter] {
      for file in ["\(part.rawValue).safetensors", "\(part.rawValue).json"]
      where !FileManager.default.fileExists(atPath: "\(path)/\(file)") {
        throw ModelBundleError(part, "\(file) is missing from \(path)")
      }
    }
    let classifier = try Self.attributing(.classifier) { try Checkpoint(path: "\(path)/\(Self.classifierStem)").loadClassifier() }
    let segmenter = try Self.attributing(.segmenter) { try Checkpoint(path: "\(path)/\(Self.segmenterStem)").loadSegmenter() }
    try Self.check(manifest, classifier: classifier.metadata, segmenter: segmenter.metadata)
    let lungSegmenter = try Self.attributing(.segmenter) {
      try LungSegmenter(model: segmenter.model, metadata: segmenter.metadata, options: LungSegmenter.Options(
        dilationMargin: manifest.lungMask.dilationMargin, rules: manifest.lungMask.rules))
    }
    self.path = path
    self.manifest = manifest
    models = try Self.attributing(.classifier) {
      try ScreeningModels(classifier: classifier.model, classifierMetadata: classifier.metadata, segmenter: lungSegmenter,
                          backgroundFill: manifest.shortcutChecks.backgroundRemovalFill)
    }
  }

  /// The checks made on this bundle's predictions.
  public var shortcutChecks: ShortcutChecks {
    ShortcutChecks(calibration: manifest.shortcutChecks, classNames: manifest.classes)
  }

  /// Runs `body`, turning its failure into one that names `part`.
  static func attributing<Value>(_ part: BundlePart, _ body: () throws -> Value) throws -> Value {
    do {
      return try body()
    } catch let error as ModelBundleError {
      throw error
    } catch {
      throw ModelBundleError(part, String(describing: error))
    }
  }

  static func readManifest(in path: String) throws -> BundleManifest {
    let file = "\(path)/\(manifestName)"
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: file) else {
      throw ModelBundleError(.bundle, "missing from \(path)")
    }
    guard let size = attributes[.size] as? Int, size <= manifestByteLimit else {
      throw ModelBundleError(.bundle, "larger than \(manifestByteLimit) bytes")
    }
    let manifest: BundleManifest
    do {
      manifest = try Checkpoint.decoder.decode(BundleManifest.self, from: Data(FileContents.read(file, limit: manifestByteLimit)))
    } catch {
      throw ModelBundleError(.bundle, "not a valid bundle manifest: \(PlainErrorText.of(error))")
    }
    guard manifest.format == BundleManifest.formatName else {
      throw ModelBundleError(.bundle, "format is \"\(manifest.format)\", not \"\(BundleManifest.formatName)\"")
    }
    guard (1...BundleManifest.currentFormatVersion).contains(manifest.formatVersion) else {
      throw ModelBundleError(.bundle, "format version \(manifest.formatVersion); this isnetd reads 1 to \(BundleManifest.currentFormatVersion)")
    }
    return manifest
  }

  /// Cross-checks the manifest and both sidecars.
  static func check(_ manifest: BundleManifest, classifier: CheckpointMetadata, segmenter: CheckpointMetadata) throws {
    guard !manifest.classes.isEmpty, Set(manifest.classes).count == manifest.classes.count else {
      throw ModelBundleError(.bundle, "the classes must be distinct and at least one: \(manifest.classes)")
    }
    guard classifier.classNames == manifest.classes else {
      throw ModelBundleError(.classifier, "its classes \(classifier.classNames) are not the bundle's \(manifest.classes)")
    }
    guard classifier.input == manifest.input else {
      throw ModelBundleError(.classifier, "its input (\(classifier.input.channels) x \(classifier.input.width) x \(classifier.input.height)) is not the bundle's (\(manifest.input.channels) x \(manifest.input.width) x \(manifest.input.height))")
    }
    for (part, metadata, recorded) in [(BundlePart.classifier, classifier, manifest.classifier), (.segmenter, segmenter, manifest.segmenter)]
    where metadata.modelVersion != recorded.modelVersion || metadata.weightsFingerprint != recorded.weightsFingerprint {
      throw ModelBundleError(part, "model \(metadata.modelVersion) (\(metadata.weightsFingerprint)) is not the one the bundle was made with, \(recorded.modelVersion) (\(recorded.weightsFingerprint))")
    }
    let checks = manifest.shortcutChecks
    guard checks.backgroundShare.isConsistent, checks.confidenceDrop.isConsistent, checks.predictionSwitch.isConsistent,
      checks.backgroundRemovalFill.isFinite, (0...1).contains(checks.backgroundRemovalFill)
    else {
      throw ModelBundleError(.bundle, "the shortcut-check limits are not finite, in range and consistent")
    }
    let margin = manifest.lungMask.dilationMargin
    guard margin.isFinite, (0...0.5).contains(margin) else {
      throw ModelBundleError(.bundle, "the lung-mask dilation margin \(margin) is not in [0, 0.5]")
    }
    let rules = manifest.lungMask.rules
    let fractions = [Double(rules.threshold), rules.minimumLungFraction, rules.minimumSecondLungRatio,
                     rules.maximumDiscardedFraction, rules.minimumQuality]
    guard fractions.allSatisfy({ $0.isFinite && (0...1).contains($0) }), rules.areaTolerance.isFinite,
      (0...10).contains(rules.areaTolerance)
    else {
      throw ModelBundleError(.bundle, "the lung-mask rules are not finite and in range (fractions in [0, 1], "
        + "area tolerance in [0, 10]): \(rules)")
    }
  }
}

extension ModelBundle {
  /// The places searched for the default bundle when no model is named, in order: the folder in
  /// `ISNETD_DEFAULT_MODEL`; `../share/isnetd/models/default.isnetd-model` beside the executable (an
  /// installed isnetd); `models/default.isnetd-model` in the executable's folder or one of its five
  /// parents (a build inside a clone of the repository).
  public static func defaultCandidates(environment: [String: String] = ProcessInfo.processInfo.environment,
                                       executable: String = ModelBundle.executablePath) -> [String] {
    var candidates: [String] = []
    if let configured = environment["ISNETD_DEFAULT_MODEL"], !configured.isEmpty { candidates.append(configured) }
    var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
    candidates.append(folder.appendingPathComponent("../share/isnetd/models/default.isnetd-model").standardizedFileURL.path)
    for _ in 0...5 {
      candidates.append(folder.appendingPathComponent("models/default.isnetd-model").path)
      folder = folder.deletingLastPathComponent()
    }
    return candidates
  }

  /// The first of ``defaultCandidates(environment:executable:)`` that holds a bundle.json.
  public static func locateDefault() -> String? {
    defaultCandidates().first { FileManager.default.fileExists(atPath: "\($0)/\(manifestName)") }
  }

  /// The running executable, symbolic links resolved.
  public static var executablePath: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }
}
