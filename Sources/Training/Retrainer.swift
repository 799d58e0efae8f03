public import Engine
import Durable
import Foundation
import Imaging
public import Logging
public import Registry
public import Screening
import Torch

/// What a retrain learns from, how, and what its candidate must beat (docs/retraining.md).
public struct RetrainSettings: Sendable {
  public enum Trigger: String, Sendable { case manual, scheduled }

  /// The state directory, whose models/ folder is the registry.
  public var state: String
  /// The site's labelled data: class folders (docs/data-layout.md).
  public var data: String?
  /// Labelled class folders never trained on, measured for the record.
  public var testData: String?
  public var split: FrozenSplit
  /// A scheduled retrain trains only when at least this many instances are new since the last one.
  public var minimumNewImages: Int
  public var trigger: Trigger
  public var variant: Variant
  public var recipe: TrainingRecipe
  public var architecture: ClassifierTraining.ArchitectureChoice
  /// The input side; nil keeps the current model's input.
  public var inputSide: Int?
  public var gate: PromotionGate
  public var calibrator: ShortcutCalibrator
  /// The bundle that serves while the registry names none (the daemon's `model`); nil: the shipped default.
  public var configuredModel: String?
  public var threads: Int
  /// Images that go through the networks together when measuring and calibrating.
  public var batchSize: Int

  public init(state: String, data: String?, testData: String? = nil, split: FrozenSplit, minimumNewImages: Int,
              trigger: Trigger, variant: Variant, recipe: TrainingRecipe,
              architecture: ClassifierTraining.ArchitectureChoice = .compact, inputSide: Int? = nil,
              gate: PromotionGate = PromotionGate(), calibrator: ShortcutCalibrator = ShortcutCalibrator(),
              configuredModel: String?, threads: Int, batchSize: Int = 8) {
    self.state = state
    self.data = data
    self.testData = testData
    self.split = split
    self.minimumNewImages = minimumNewImages
    self.trigger = trigger
    self.variant = variant
    self.recipe = recipe
    self.architecture = architecture
    self.inputSide = inputSide
    self.gate = gate
    self.calibrator = calibrator
    self.configuredModel = configuredModel
    self.threads = threads
    self.batchSize = batchSize
  }
}

/// How a retrain ended.
public enum RetrainOutcome: Sendable {
  /// A scheduled retrain found too few new images, or no labelled data; nothing was trained.
  case skipped(reason: String)
  /// The candidate passed the gate and is the current model now.
  case promoted(Registration)
  /// The candidate failed the gate and stays in the registry as rejected.
  case rejected(Registration)
}

/// What a retrain reports while it runs, for a terminal.
public enum RetrainProgress: Sendable {
  case loading(part: String, done: Int, total: Int)
  case training(TrainingEvent)
  case calibrating(done: Int, total: Int)
  case measuring(model: String, done: Int, total: Int)
}

/// One retrain, in its own process (libtorch's seed and threads are process-wide): under the registry's
/// retrain lock, it reads the site's data with its frozen split, trains a classifier from the current
/// model's input and segmenter (which makes pseudo-masks for images without a mask), calibrates a
/// bundle on the validation part, measures the candidate and the current model on the same validation
/// images, registers the candidate with the gate's decision, and promotes it when it passed. The
/// current model changes only in that last atomic step; a retrain killed before leaves it as it was.
public struct Retrainer {
  public let settings: RetrainSettings
  public let logger: Logger
  public let isnetdVersion: String

  public init(settings: RetrainSettings, logger: Logger, isnetdVersion: String) {
    self.settings = settings
    self.logger = logger
    self.isnetdVersion = isnetdVersion
  }

  public func run(progress: (RetrainProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> RetrainOutcome {
    do {
      return try retrain(progress: progress, shouldStop: shouldStop)
    } catch {
      let problem = Self.problem(error)
      log(.failed, "retrain failed, the current model is untouched: \(problem)", ["ISNETD_ERROR_CODE": problem.code], level: .error)
      throw error
    }
  }

  private func retrain(progress: (RetrainProgress) -> Void, shouldStop: () -> Bool) throws -> RetrainOutcome {
    let began = Date()
    let registry = ModelRegistry(state: settings.state)
    guard let dataRoot = settings.data else {
      if settings.trigger == .scheduled { return skip("retraining is not set up: retrain.data is empty") }
      throw RetrainError(.dataNotConfigured, "set retrain.data in the configuration (or --data) to the labelled class folders")
    }
    let lock: RegistryLock
    do {
      try registry.prepare()
      lock = try RegistryLock(path: "\(registry.root)/retrain.lock", holder: "isnetd retrain (\(settings.trigger.rawValue))", wait: false)
    } catch {
      throw RetrainError(error.lockHeld ? .alreadyRunning : .registryFailed, error.description)
    }
    defer { withExtendedLifetime(lock) {} }
    for name in registry.removeAbandonedStaging() { logger.info("removed \(name), left by a retrain that did not finish") }

    let current = try currentModel(registry)
    let folder: LabeledFolder
    do {
      folder = try LabeledFolder(root: dataRoot)
    } catch let error as DatasetError where settings.trigger == .scheduled {
      return skip("no labelled data to learn from yet: \(error.message)")
    }
    // The current model's class order when the data has its classes, so the two can be compared.
    let dataset = try SiteDataset(root: dataRoot, split: settings.split,
                                  classNames: Set(current.bundle.manifest.classes) == Set(folder.classNames) ? current.bundle.manifest.classes : nil)
    for file in dataset.unreadable { logger.warning("not used: \(file.path): \(file.problem)", metadata: ["ISNETD_ERROR_CODE": "\(file.problem.code)"]) }
    let newImages = try dataset.newInstances(since: registry).count
    if settings.trigger == .scheduled, newImages < settings.minimumNewImages {
      return skip("\(newImages) new labelled images since the last retrain, \(settings.minimumNewImages) needed", newImages: newImages)
    }

    // Instances of the test data are never trained on, even when a copy sits in the labelled data.
    let testInstances = try settings.testData.map { try SiteDataset(root: $0, split: settings.split).images.map(\.sopInstanceUID) } ?? []
    let trainingFolder = try part(.train, of: dataset, excluding: Set(testInstances))
    let validationFolder = try part(.validation, of: dataset)
    guard validationFolder.items.count >= settings.calibrator.minimumImages else {
      throw RetrainError(.tooFewImages, "the validation part holds \(validationFolder.items.count) images; calibrating the shortcut checks needs at least \(settings.calibrator.minimumImages)")
    }
    Torch.threads = settings.threads
    let training = classifierTraining(classNames: dataset.classNames, current: current.bundle)
    log(.started, "retrain started: \(settings.variant.rawValue) on \(trainingFolder.items.count) training and \(validationFolder.items.count) validation images (\(newImages) new), current model \(current.bundle.manifest.version)",
        ["ISNETD_TRIGGER": settings.trigger.rawValue, "ISNETD_VARIANT": settings.variant.rawValue,
         "ISNETD_TRAINING_IMAGES": "\(trainingFolder.items.count)", "ISNETD_VALIDATION_IMAGES": "\(validationFolder.items.count)",
         "ISNETD_NEW_IMAGES": "\(newImages)", "ISNETD_MODEL_VERSION": current.bundle.manifest.version])

    let staging = try registry.makeStagingFolder()
    defer { try? FileManager.default.removeItem(atPath: staging) }
    let segmenter = current.bundle.models.segmenter
    let trainingData = try training.load(trainingFolder, segmenter: segmenter) { progress(.loading(part: "train", done: $0, total: $1)) }
    let validationData = try training.load(validationFolder, segmenter: segmenter) { progress(.loading(part: "validation", done: $0, total: $1)) }
    let started = Date()
    let checkpoint = Checkpoint(path: "\(staging)/\(ModelBundle.classifierStem)")
    let (_, result) = try training.train(
      training: trainingData, validation: validationData, segmenter: segmenter, checkpoint: checkpoint,
      events: { event in
        progress(.training(event))
        if case .validated(let record) = event { logEpoch(record) }
      }, shouldStop: shouldStop)
    guard result.best != nil, !result.stoppedEarly else { throw StopRequested("the retrain was stopped; nothing was registered") }
    let trainingSeconds = Date().timeIntervalSince(started)

    let bundlePath = "\(staging)/candidate.isnetd-model"
    let measured = try measure(candidate: checkpoint, at: bundlePath, best: result.best!.validation, current: current.bundle,
                               validation: (validationFolder, validationData), classNames: dataset.classNames, progress: progress)
    if shouldStop() { throw StopRequested("the retrain was stopped; nothing was registered") }
    var decision = settings.gate.decide(candidate: measured.candidate, current: measured.current)
    if let problem = measured.calibrationProblem {
      decision.accepted = false
      decision.reasons.insert(problem, at: 0)
    }
    let (candidateFigures, currentFigures) = (measured.candidate, measured.current)
    let registration = Registration(
      version: measured.version, createdAt: Date(), isnetdVersion: isnetdVersion, trigger: settings.trigger.rawValue,
      variant: settings.variant.rawValue,
      data: TrainingDataRecord(
        root: dataset.root, classes: dataset.classNames, splitRule: FrozenSplit.rule, validationFraction: settings.split.validationFraction,
        trainingImages: trainingData.dataset.count, validationImages: validationData.dataset.count,
        pseudoMasks: trainingData.summary.pseudoMasks.count + validationData.summary.pseudoMasks.count,
        rejectedPseudoMasks: trainingData.summary.rejectedPseudoMasks.count + validationData.summary.rejectedPseudoMasks.count,
        unusableFiles: dataset.unreadable.count, newImages: newImages),
      trainingSeconds: trainingSeconds, candidate: candidateFigures,
      comparedWith: Comparison(version: current.bundle.manifest.version, source: current.source, figures: currentFigures),
      test: measured.test, decision: decision)
    let instances = Set(dataset.images.map(\.sopInstanceUID)).sorted().joined(separator: "\n") + "\n"
    try AtomicFile.write(Data(instances.utf8), to: "\(bundlePath)/\(ModelRegistry.instancesName)")
    try registry.register(bundle: bundlePath, registration)

    let fields = ["ISNETD_MODEL_VERSION": registration.version, "ISNETD_MACRO_F1": Self.figure(candidateFigures.macroF1),
                  "ISNETD_BACKGROUND_SHARE": candidateFigures.backgroundShare.map(Self.figure) ?? "",
                  "ISNETD_PREVIOUS_MODEL_VERSION": current.bundle.manifest.version]
    let outcome: RetrainOutcome
    if decision.accepted {
      try registry.promote(registration.version, reason: "promoted by a \(settings.trigger.rawValue) retrain")
      log(.promoted, "model \(registration.version) promoted: validation macro F1 \(Self.figure(candidateFigures.macroF1)), background share \(candidateFigures.backgroundShare.map(Self.figure) ?? "-") (was \(current.bundle.manifest.version): \(currentFigures.map { "\(Self.figure($0.macroF1)), \($0.backgroundShare.map(Self.figure) ?? "-")" } ?? "not comparable, other classes"))",
          fields, level: .notice)
      outcome = .promoted(registration)
    } else {
      log(.rejected, "model \(registration.version) rejected, \(current.bundle.manifest.version) keeps serving: \(decision.reasons.joined(separator: "; "))",
          fields.merging(["ISNETD_REASON": decision.reasons.joined(separator: "; ")]) { $1 }, level: .warning)
      outcome = .rejected(registration)
    }
    log(.finished, "retrain finished in \(Int(Date().timeIntervalSince(began).rounded())) s", fields)
    return outcome
  }

  /// What the gate judges: the candidate's and the current model's figures on the validation part.
  private struct Measurement {
    var version: String
    var candidate: ValidationFigures
    var current: ValidationFigures?
    var test: ValidationFigures?
    /// Why no bundle could be made (too few correct validation images to calibrate), which rejects it.
    var calibrationProblem: String?
  }

  /// Makes the candidate bundle at `path` (calibrated on the validation part) and screens the
  /// validation part with it and with the current model (when it has the data's classes), and the test
  /// data with the candidate. When calibration is impossible, `path` gets the classifier alone and the
  /// candidate is judged on its training validation figures (`best`).
  private func measure(candidate checkpoint: Checkpoint, at path: String, best: ClassificationMetrics, current: ModelBundle,
                       validation: (folder: LabeledFolder, data: LoadedDataset), classNames: [String],
                       progress: (RetrainProgress) -> Void) throws -> Measurement {
    func screen(_ bundle: ModelBundle, _ folder: LabeledFolder, _ what: String) -> ValidationFigures {
      ValidationFigures.measure(bundle, on: folder, batchSize: settings.batchSize) { progress(.measuring(model: what, done: $0, total: $1)) }
    }
    let currentFigures = current.manifest.classes == classNames ? screen(current, validation.folder, "the current model") : nil
    do {
      // The calibration pass screens the validation part with the candidate: its figures come from it.
      var tally = ValidationTally()
      let candidate = try ModelBundle.create(
        at: path, classifier: checkpoint.weightsPath, segmenter: "\(current.path)/\(ModelBundle.segmenterStem)",
        calibration: { _ in validation.folder },
        recipe: BundleRecipe(id: "retrained", calibrator: settings.calibrator, lungMask: current.manifest.lungMask,
                             pipeline: PipelineOptions(batchSize: settings.batchSize)),
        replace: false, isnetdVersion: isnetdVersion, progress: { progress(.calibrating(done: $0, total: $1)) },
        observe: { tally.add($0, $1) })
      let test = try settings.testData.map { root in
        screen(candidate, try LabeledFolder(root: root, classNames: classNames), "the candidate on the test data")
      }
      return Measurement(version: candidate.manifest.version, candidate: tally.figures(classNames: classNames),
                         current: currentFigures, test: test)
    } catch let error as CalibrationError {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
      for file in [checkpoint.weightsPath, checkpoint.metadataPath] {
        try FileManager.default.moveItem(atPath: file, toPath: "\(path)/\(URL(fileURLWithPath: file).lastPathComponent)")
      }
      let labels = validation.data.dataset.samples.map(\.label)
      let figures = ValidationFigures(images: validation.folder.items.count, predicted: labels.count,
                                      correct: Int((best.accuracy * Double(labels.count)).rounded()),
                                      chanceAccuracy: ValidationFigures.chanceAccuracy(labels), macroF1: best.macroF1,
                                      assessed: labels.count, backgroundShare: best.backgroundShare?.mean)
      return Measurement(version: ModelVersion.make(settings.variant.rawValue), candidate: figures, current: currentFigures,
                         test: nil, calibrationProblem: "the shortcut checks could not be calibrated: \(error)")
    }
  }

  private func skip(_ reason: String, newImages: Int? = nil) -> RetrainOutcome {
    log(.skipped, "retrain skipped: \(reason)", ["ISNETD_REASON": reason, "ISNETD_NEW_IMAGES": newImages.map(String.init) ?? ""])
    return .skipped(reason: reason)
  }

  /// The model that serves now: the registry's current one, else the configured or shipped default.
  private func currentModel(_ registry: ModelRegistry) throws -> (bundle: ModelBundle, source: String) {
    let path: String
    let source: String
    do {
      if let registered = try registry.currentBundlePath() {
        (path, source) = (registered, "registry")
      } else if let configured = settings.configuredModel ?? ModelBundle.locateDefault() {
        (path, source) = (configured, configured)
      } else {
        throw RetrainError(.currentModelUnavailable, "no model is configured and no default bundle was found")
      }
    } catch let error as RegistryError {
      throw RetrainError(.registryFailed, error.description)
    }
    do {
      return (try ModelBundle(path: path), source)
    } catch {
      throw RetrainError(.currentModelUnavailable, "\(path): \(error)")
    }
  }

  /// One side of the frozen split as a labelled folder, without the instances `excluded`.
  private func part(_ part: FrozenSplit.Part, of dataset: SiteDataset, excluding excluded: Set<String> = []) throws -> LabeledFolder {
    let images = dataset.images(in: part)
    let kept = images.filter { !excluded.contains($0.sopInstanceUID) }
    if kept.count < images.count {
      logger.warning("\(images.count - kept.count) images of the \(part.rawValue) part are also in the test data and are not trained on")
    }
    let items = kept.map { LabeledFolder.Item(imagePath: $0.path, maskPath: $0.maskPath, label: $0.label) }
    guard !items.isEmpty else {
      throw RetrainError(.tooFewImages, "the \(part.rawValue) part of \(dataset.root) holds no usable image (\(dataset.images.count) in all)")
    }
    return try LabeledFolder(root: dataset.root, classNames: dataset.classNames, items: items)
  }

  /// The classifier to train: the current model's input (unless another side is set), the configured
  /// architecture for the data's classes.
  private func classifierTraining(classNames: [String], current: ModelBundle) -> ClassifierTraining {
    var input = current.manifest.input
    if let side = settings.inputSide {
      input.preprocessing.width = side
      input.preprocessing.height = side
    }
    return ClassifierTraining(
      variant: settings.variant,
      architecture: ClassifierTraining.architecture(settings.architecture, classCount: classNames.count, channels: input.channels),
      input: input, configuration: settings.recipe.configuration(variant: settings.variant), classNames: classNames,
      producer: "isnetd \(isnetdVersion) retrain")
  }

  private func logEpoch(_ record: EpochRecord) {
    log(.epoch, String(format: "epoch %d/%d: train loss %.4f, validation loss %.4f, macro F1 %.3f, background share %.3f, %.0f s",
                       record.epoch, settings.recipe.epochs, record.trainingLoss, record.validationLosses.total,
                       record.validation.macroF1, record.validation.backgroundShare?.mean ?? .nan, record.seconds),
        ["ISNETD_EPOCH": "\(record.epoch)", "ISNETD_EPOCHS": "\(settings.recipe.epochs)", "ISNETD_LOSS": Self.figure(record.trainingLoss),
         "ISNETD_EPOCH_SECONDS": Self.figure(record.seconds),
         "ISNETD_MACRO_F1": Self.figure(record.validation.macroF1),
         "ISNETD_BACKGROUND_SHARE": record.validation.backgroundShare.map { Self.figure($0.mean) } ?? ""])
  }

  private func log(_ event: RetrainEvent, _ message: String, _ fields: [String: String] = [:], level: Logger.Level = .info) {
    var metadata: Logger.Metadata = ["MESSAGE_ID": "\(event.messageID)", "ISNETD_EVENT": "\(event.rawValue)"]
    for (name, value) in fields where !value.isEmpty { metadata[name] = "\(value)" }
    logger.log(level: level, "\(message)", metadata: metadata)
  }

  static func figure(_ value: Double) -> String { value.isFinite ? String(format: "%.4f", value) : "" }

  /// The closed-code problem an error of the retrain stands for.
  public static func problem(_ error: any Error) -> Problem {
    switch error {
    case let error as RetrainError: Problem(error)
    case let error as DatasetError: Problem(error)
    case let error as StopRequested: Problem(error)
    case let error as RegistryError: Problem(RetrainError(.registryFailed, error.description))
    default: Problem(screening: error)
    }
  }
}
