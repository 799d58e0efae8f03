import ArgumentParser
import Daemon
import Engine
import Foundation
import Logging
import Registry
import Screening
import Systemd
import Training

/// `isnetd retrain`: trains a candidate from the site's labelled data and promotes it when it passes the
/// gate (docs/retraining.md). The work is the Training module's ``Retrainer``; this parses and prints.
struct Retrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Retrain from the site's labelled data; promote the new model only when it validates.",
    discussion: """
      Reads the service's configuration (the retrain.* keys, state, model). The labelled class folders \
      are split by a hash of each SOP Instance UID (the validation part never changes as data grows). \
      A classifier is trained from the current model's input and lung segmenter (images without a mask \
      get its pseudo-mask), a bundle is calibrated on the validation part, and the candidate and the \
      current model are measured on the same validation images. The candidate is registered in \
      STATE/models either way; it becomes the current model (which a running daemon loads between \
      batches) only when it passes the gate. One retrain runs at a time. Exit status: 0 promoted, or \
      skipped with --scheduled; 3 rejected by the gate; 1 failed; 130 stopped (Ctrl-C, SIGTERM). \
      Not for clinical use.
      """)

  @Option(help: "YAML configuration file (samples/isnetd.conf documents every key).")
  var config: String?
  @Option(help: "State folder, whose models/ is the registry (key: state).")
  var state: String?
  @Option(help: "Labelled class folders (key: retrain.data).")
  var data: String?
  @Option(help: "Labelled class folders never trained on, measured for the record (key: retrain.test_data).")
  var testData: String?
  @Option(help: "plain, selective, stochastic or original (key: retrain.variant).")
  var variant: String?
  @Option(help: "compact or densenet121.")
  var architecture: ClassifierTraining.ArchitectureChoice = .compact
  @Option(help: "Model input side in pixels (default: the current model's input).")
  var size: Int?
  @OptionGroup var recipe: TrainingOptions
  @Option(help: "libtorch threads (key: retrain.threads).")
  var threads: Int?
  @Option(help: "Where log entries go: automatic, journal or stderr (key: log).")
  var log: String?
  @Flag(help: "Train only when enough labelled images are new since the last retrain (key: retrain.minimum_new_images); what the timer runs.")
  var scheduled = false

  func validate() throws {
    if let size {
      guard (16...CheckpointMetadata.maximumInputSide).contains(size) else {
        throw ValidationError("--size must be 16 to \(CheckpointMetadata.maximumInputSide)")
      }
    }
  }

  func run() throws {
    StandardOutput.useLineBuffering()
    var given: [String: (option: String, value: String)] = [:]
    for (key, option, value) in [("state", "--state", state), ("retrain.data", "--data", data), ("retrain.test_data", "--test-data", testData),
                                 ("retrain.variant", "--variant", variant), ("retrain.threads", "--threads", threads.map(String.init)),
                                 ("retrain.epochs", "--epochs", recipe.epochs.map(String.init)), ("log", "--log", log)] {
      if let value { given[key] = (option, value) }
    }
    let configuration: DaemonConfiguration
    do {
      configuration = try DaemonConfiguration.resolve(file: config, commandLine: given).configuration
    } catch {
      throw ValidationError(error.message)
    }
    let destination = configuration.log.resolved()
    LoggingSystem.bootstrap(destination.handlerFactory(syslogIdentifier: "isnetd-retrain"))
    let retrain = configuration.retrain
    var trainingRecipe = recipe.recipe()
    trainingRecipe.epochs = retrain.epochs
    let settings = RetrainSettings(
      state: configuration.state, data: retrain.data, testData: retrain.testData,
      split: try FrozenSplit(validationFraction: retrain.validationFraction), minimumNewImages: retrain.minimumNewImages,
      trigger: scheduled ? .scheduled : .manual, variant: Variant(rawValue: retrain.variant)!, recipe: trainingRecipe,
      architecture: architecture, inputSide: size,
      gate: PromotionGate(minimumMacroF1: retrain.minimumMacroF1, maximumMacroF1Drop: retrain.maximumMacroF1Drop,
                          maximumBackgroundShareIncrease: retrain.maximumBackgroundShareIncrease, chanceLevel: retrain.chanceLevel),
      calibrator: ShortcutCalibrator(minimumImages: retrain.calibrationMinimumImages),
      configuredModel: configuration.model, threads: retrain.threads, batchSize: configuration.batchSize)

    // Step-by-step progress is for a person at a terminal; under systemd the journal gets the events.
    let printer = destination == .journal && isatty(STDOUT_FILENO) == 0 ? nil : RetrainPrinter()
    let stop = StopSignal(message: "stopping the retrain after this step; nothing will be registered")
    let outcome = try Retrainer(settings: settings, logger: Logger(label: "isnetd-retrain"), isnetdVersion: BuildInfo.version)
      .run(progress: { printer?.report($0) }, shouldStop: { stop.isRequested })
    switch outcome {
    case .skipped(let reason):
      print("skipped: \(reason)")
    case .promoted(let registration):
      print("promoted \(registration.version): it serves now (not for clinical use)")
    case .rejected(let registration):
      print("rejected \(registration.version): \(registration.decision.reasons.joined(separator: "; ")); the current model keeps serving")
      throw ExitCode(3)
    }
  }
}

/// Prints a retrain's progress: loading, training steps with their ETA, calibration and measurement.
final class RetrainPrinter {
  private let training = ProgressPrinter()
  private let throttle = ProgressThrottle(every: 5)

  func report(_ progress: RetrainProgress) {
    switch progress {
    case .training(let event):
      // Each epoch's validation figures are a logged event of the retrain; the rest is printed here.
      if case .validated = event { return }
      training.report(event)
    case .loading(let part, let done, let total):
      throttled(done == total) { "loading \(part): \(done)/\(total) images" }
    case .calibrating(let done, let total):
      throttled(done == total) { "screening the validation part with the candidate, calibrating its shortcut checks: \(done)/\(total) images" }
    case .measuring(let model, let done, let total):
      throttled(done == total) { "measuring \(model): \(done)/\(total) validation images" }
    }
  }

  private func throttled(_ last: Bool, _ line: () -> String) {
    if throttle.allows(last: last) { print(line()) }
  }
}
