import ArgumentParser
import Engine
import Foundation
import Imaging
import Screening
import Torch
import Training

/// Trains a classifier (plain or one of the ISNet variants) from labelled class folders.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a Faster ISNet (or a plain classifier) from labelled DICOM files and lung masks.",
    discussion: """
      DATA holds train/ and validation/, each with one folder per class of DICOM files and their \
      <name>.mask.png lung masks (docs/data-layout.md). The checkpoint of the epoch with the lowest \
      validation loss is written to OUT.safetensors and OUT.json whenever it improves; an existing \
      checkpoint there is replaced only with --force. Ctrl-C stops after the current step and keeps the \
      best epoch. Models are not for clinical use.
      """)

  @Option(help: "Folder with train/ and validation/ class folders.")
  var data: String
  @Option(help: "Checkpoint stem to write (OUT.safetensors, OUT.json).")
  var out: String
  @Option(help: "Class names in output order (default: the class folders, sorted).")
  var classes: [String] = []
  @Option(help: "plain, selective, stochastic or original.", transform: Train.variant)
  var variant: Variant = .selective
  @Option(help: "compact or densenet121.")
  var architecture: ClassifierTraining.ArchitectureChoice = .compact
  @Option(help: "Model input side in pixels.")
  var size = 224
  @Option(help: "Input channels (1, or 3 to repeat the grey image as torchvision models expect).")
  var channels = 1
  @OptionGroup var recipe: TrainingOptions
  @Option(help: ArgumentHelp(
    "Lung segmenter checkpoint: images without <name>.mask.png get its mask (a pseudo-mask; implausible ones are not used).",
    valueName: "M"))
  var segmenter: String?
  @Flag(help: "Replace the checkpoint OUT when it exists.")
  var force = false
  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    guard (1...CheckpointMetadata.maximumInputSide).contains(size) else {
      throw ValidationError("--size must be 1 to \(CheckpointMetadata.maximumInputSide)")
    }
    guard channels == 1 || channels == 3 else { throw ValidationError("--channels must be 1 or 3") }
  }

  func run() throws {
    runtime.apply()
    try OutputFolder.checkCheckpoint(out, protecting: segmenter.map(OutputFolder.checkpointFiles) ?? [], force: force)
    let trainFolder = try LabeledFolder(root: "\(data)/train", classNames: classes.isEmpty ? nil : classes)
    let validationFolder = try LabeledFolder(root: "\(data)/validation", classNames: trainFolder.classNames)
    let classNames = trainFolder.classNames
    let training = ClassifierTraining(
      variant: variant,
      architecture: ClassifierTraining.architecture(architecture, classCount: classNames.count, channels: channels),
      input: InputDescription(channels: channels, preprocessing: Preprocessing(width: size, height: size)),
      configuration: recipe.configuration(variant: variant), classNames: classNames,
      producer: "isnetd \(BuildInfo.version) train")
    let lungSegmenter = try segmenter.map { try LungSegmenter(checkpoint: $0) }
    let trainingData = try load(trainFolder, "train", training, lungSegmenter)
    let validationData = try load(validationFolder, "validation", training, lungSegmenter)
    let checkpoint = Checkpoint(path: out)
    let stop = StopSignal(message: "stopping after this step; the best epoch is kept")
    let progress = ProgressPrinter()

    print("training \(variant.rawValue) \(architecture.rawValue) at \(size)x\(size) on \(trainingData.dataset.count) images, validating on \(validationData.dataset.count)")
    let (version, result) = try training.train(
      training: trainingData, validation: validationData, segmenter: lungSegmenter, checkpoint: checkpoint,
      events: progress.report, shouldStop: { stop.isRequested })
    guard let best = result.best else {
      throw StopRequested("before the first epoch finished; nothing written")
    }
    print(String(format: "best epoch %d: validation loss %.4f, accuracy %.3f, macro F1 %.3f; wrote %@, model version %@ (not for clinical use)",
                 best.epoch, best.validationLosses.total, best.validation.accuracy, best.validation.macroF1, checkpoint.weightsPath, version))
    if result.stoppedEarly { throw StopRequested("training ended early; the best epoch so far is kept") }
  }

  private func load(_ folder: LabeledFolder, _ name: String, _ training: ClassifierTraining,
                    _ segmenter: LungSegmenter?) throws -> LoadedDataset {
    let throttle = ProgressThrottle(every: 2)
    let loaded = try training.load(folder, segmenter: segmenter) { done, total in
      if throttle.allows(last: done == total) { print("loading \(name): \(done)/\(total)") }
    }
    if segmenter != nil { print("\(name) masks: " + loaded.summary.maskSources) }
    return loaded
  }
}

extension Train {
  static func variant(_ name: String) throws -> Variant {
    guard let variant = Variant(rawValue: name) else {
      throw ValidationError("unknown variant \(name); choose \(Variant.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return variant
  }
}

/// Lets a progress line through at most every `interval` seconds, and always the last one.
final class ProgressThrottle {
  private let interval: TimeInterval
  private var lastAllowed = Date.distantPast

  init(every interval: TimeInterval) { self.interval = interval }

  func allows(last: Bool) -> Bool {
    guard last || Date().timeIntervalSince(lastAllowed) > interval else { return false }
    lastAllowed = Date()
    return true
  }
}

/// Prints training progress: a step line at most every few seconds, a line per epoch.
final class ProgressPrinter {
  private let steps = ProgressThrottle(every: 5)

  func report(_ event: TrainingEvent) {
    switch event {
    case .tuningCuts(let epochs):
      print("tuning C1/C2 with \(epochs) epochs of plain training")
    case .cutsTuned(let input, let hidden):
      print(String(format: "tuned C1 = %.4g, C2 = %.4g", input.lower, input.upper)
        + hidden.enumerated().map { String(format: "; hidden layer %d: C1 = %.4g, C2 = %.4g", $0 + 1, $1.lower, $1.upper) }.joined())
    case .step(let epoch, let epochs, let step, let steps, let losses, let secondsPerStep, let remaining):
      guard self.steps.allows(last: step == steps) else { return }
      var line = String(format: "epoch %d/%d step %d/%d loss %.4f ce %.4f", epoch, epochs, step, steps, losses.total, losses.crossEntropy)
      if let heatmap = losses.heatmap { line += String(format: " heatmap %.4f", heatmap) }
      if let invariance = losses.backgroundInvariance { line += String(format: " invariance %.4f", invariance) }
      line += String(format: " | %.2f s/step, ETA %@", secondsPerStep, Self.duration(remaining))
      print(line)
    case .validated(let record):
      print(String(format: "epoch %d: train loss %.4f | validation loss %.4f accuracy %.3f macro F1 %.3f background share %.3f | %.0f s%@",
                   record.epoch, record.trainingLoss, record.validationLosses.total, record.validation.accuracy,
                   record.validation.macroF1, record.validation.backgroundShare?.mean ?? .nan, record.seconds,
                   record.improved ? " | best so far, saved" : ""))
    case .stopped(let epoch):
      print("stopped during epoch \(epoch)")
    }
  }

  static func duration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return total >= 3600 ? String(format: "%dh%02dm", total / 3600, total % 3600 / 60) : String(format: "%dm%02ds", total / 60, total % 60)
  }
}
