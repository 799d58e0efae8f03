import Durable
import Engine
import Foundation
import Glibc
import Imaging

/// How a bundle is made from two checkpoints and a calibration folder.
public struct BundleRecipe: Sendable {
  /// The bundle's name: letters, digits, '.', '_' and '-', at most 64 characters.
  public var id: String
  public var calibrator: ShortcutCalibrator
  public var lungMask: BundleManifest.LungMaskSettings
  /// The model-input value that replaces the background for the removal check; nil takes the
  /// classifier's letterbox padding value, which the model has seen on every training image as "no
  /// image here".
  public var backgroundFill: Float?
  public var pipeline: PipelineOptions

  public init(id: String, calibrator: ShortcutCalibrator = ShortcutCalibrator(),
              lungMask: BundleManifest.LungMaskSettings = BundleManifest.LungMaskSettings(),
              backgroundFill: Float? = nil, pipeline: PipelineOptions = PipelineOptions()) {
    self.id = id
    self.calibrator = calibrator
    self.lungMask = lungMask
    self.backgroundFill = backgroundFill
    self.pipeline = pipeline
  }

  /// Whether `id` is a usable bundle name.
  public static func isValidID(_ id: String) -> Bool {
    (1...64).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
      && !id.hasPrefix(".")
  }
}

extension ModelBundle {
  /// Makes a bundle at `path` from a classifier and a segmenter checkpoint, calibrating the shortcut
  /// checks on the labelled `calibrationFolder` (class folders named as the classifier's classes).
  ///
  /// The output is checked before the long work: an existing `path` is refused unless `replace`, and
  /// even then only when it is a bundle. The bundle is assembled in a hidden staging folder beside
  /// `path`, every file written atomically, loaded back and checked, and only then put in place by
  /// one rename (an exchange with the old bundle when replacing), so `path` is always a whole bundle.
  public static func create(at path: String, classifier classifierPath: String, segmenter segmenterPath: String,
                            calibrationFolder: String, recipe: BundleRecipe, replace: Bool, isnetdVersion: String,
                            progress: (Int, Int) -> Void = { _, _ in }) throws -> ModelBundle {
    try create(at: path, classifier: classifierPath, segmenter: segmenterPath, calibration: { classNames in
      try LabeledFolder(root: calibrationFolder, classNames: classNames)
    }, recipe: recipe, replace: replace, isnetdVersion: isnetdVersion, progress: progress)
  }

  /// As ``create(at:classifier:segmenter:calibrationFolder:recipe:replace:isnetdVersion:progress:)``,
  /// calibrating on the labelled images `calibration` gives for the classifier's classes (such as the
  /// validation part of a site's data); `observe` sees each calibration image's screening result.
  public static func create(at path: String, classifier classifierPath: String, segmenter segmenterPath: String,
                            calibration: ([String]) throws -> LabeledFolder, recipe: BundleRecipe, replace: Bool,
                            isnetdVersion: String, progress: (Int, Int) -> Void = { _, _ in },
                            observe: (LabeledFolder.Item, ScreeningResult) -> Void = { _, _ in }) throws -> ModelBundle {
    guard BundleRecipe.isValidID(recipe.id) else {
      throw ModelBundleError(nil, "the bundle id \"\(recipe.id)\" must be 1 to 64 letters, digits, '.', '_' or '-'")
    }
    let target = URL(fileURLWithPath: path).standardizedFileURL
    let parent = target.deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw ModelBundleError(nil, "the folder \(parent) does not exist")
    }
    let exists = FileManager.default.fileExists(atPath: target.path)
    if exists {
      guard replace else { throw ModelBundleError(nil, "\(target.path) exists; --force replaces a bundle") }
      guard FileManager.default.fileExists(atPath: target.appendingPathComponent(manifestName).path) else {
        throw ModelBundleError(nil, "\(target.path) exists and is not a model bundle; it is not replaced")
      }
    }

    let classifier = try attributing(.classifier) { try Checkpoint(path: classifierPath).loadClassifier() }
    let segmenter = try attributing(.segmenter) { try Checkpoint(path: segmenterPath).loadSegmenter() }
    let lungSegmenter = try LungSegmenter(model: segmenter.model, metadata: segmenter.metadata, options: LungSegmenter.Options(
      dilationMargin: recipe.lungMask.dilationMargin, rules: recipe.lungMask.rules))
    let models = try ScreeningModels(classifier: classifier.model, classifierMetadata: classifier.metadata,
                                     segmenter: lungSegmenter,
                                     backgroundFill: recipe.backgroundFill ?? classifier.metadata.input.preprocessing.padValue)
    let folder = try calibration(classifier.metadata.classNames)
    let calibration = try recipe.calibrator.calibrate(with: Pipeline(models: models, options: recipe.pipeline), on: folder,
                                                      progress: progress, observe: observe)

    let metadata = classifier.metadata
    let manifest = BundleManifest(
      format: BundleManifest.formatName, formatVersion: BundleManifest.currentFormatVersion, id: recipe.id,
      version: ModelVersion.make(metadata.training?.objective.variant.rawValue ?? "imported"), createdAt: Date(),
      isnetdVersion: isnetdVersion, classes: metadata.classNames, input: metadata.input,
      model: .init(variant: metadata.training?.objective.variant, architecture: metadata.architecture, trainedAt: metadata.createdAt,
                   training: metadata.training, trainingData: metadata.trainingData, validation: metadata.metrics?.validation),
      classifier: .init(modelVersion: metadata.modelVersion, weightsFingerprint: metadata.weightsFingerprint),
      segmenter: .init(modelVersion: segmenter.metadata.modelVersion, weightsFingerprint: segmenter.metadata.weightsFingerprint),
      lungMask: recipe.lungMask, shortcutChecks: calibration, clinicallyValidated: false)

    let staging = "\(parent)/.\(target.lastPathComponent).staging-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
    var installed = false
    defer { if !installed { try? FileManager.default.removeItem(atPath: staging) } }
    for (source, stem) in [(Checkpoint(path: classifierPath), classifierStem), (Checkpoint(path: segmenterPath), segmenterStem)] {
      try AtomicFile.write(Data(contentsOf: URL(fileURLWithPath: source.weightsPath)), to: "\(staging)/\(stem).safetensors")
      try AtomicFile.write(Data(contentsOf: URL(fileURLWithPath: source.metadataPath)), to: "\(staging)/\(stem).json")
    }
    try AtomicFile.write(Checkpoint.encoder.encode(manifest), to: "\(staging)/\(manifestName)")
    _ = try ModelBundle(path: staging)

    if exists {
      // Swap the folders in one step, then remove the old bundle, now under the staging name.
      try AtomicFile.exchange(staging, target.path)
      installed = true
      try FileManager.default.removeItem(atPath: staging)
    } else {
      guard rename(staging, target.path) == 0 else {
        throw ModelBundleError(nil, "cannot create \(target.path): \(String(cString: strerror(errno)))")
      }
      installed = true
    }
    try AtomicFile.synchronizeDirectory(parent)
    return try ModelBundle(path: target.path)
  }
}
