import ArgumentParser
import Engine
import Foundation
import Imaging
import Screening
import Torch
import Training

/// Trains a U-Net lung segmenter from the lung masks of labelled data (the classifier's layout).
struct TrainSegmenter: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train-segmenter",
    abstract: "Train a U-Net lung segmenter from the lung masks of labelled DICOM files.",
    discussion: """
      DATA holds train/ and validation/, each with class folders of DICOM files and their \
      <name>.mask.png lung masks (the classifier's layout, docs/data-layout.md); the classes do not \
      matter here and images without a mask are skipped. Loss: soft Dice on the lungs plus \
      cross-entropy; augmentation moves each image and its mask alike. The checkpoint of the epoch \
      with the highest mean validation Dice is written to OUT.safetensors and OUT.json whenever it \
      improves, with the lung-area range of the training masks for the plausibility check \
      (docs/segmentation.md); an existing checkpoint there is replaced only with --force. Ctrl-C stops \
      after the current step and keeps the best epoch.
      """)

  @Option(help: "Folder with train/ and validation/ class folders.")
  var data: String
  @Option(help: "Checkpoint stem to write (OUT.safetensors, OUT.json).")
  var out: String
  @Option(help: "Model input side in pixels.")
  var size = 224
  @Option(help: "U-Net depth (2x downsamplings).")
  var depth = UNetConfiguration.lungs.depth
  @Option(help: "Channels of the full-resolution level (doubling per level).")
  var baseWidth = UNetConfiguration.lungs.baseWidth
  @Option(help: "bilinear or transposed (learned 2x2 transposed convolutions).")
  var upsampling: UpsamplingChoice = .bilinear
  @Option var epochs = 30
  @Option var batchSize = 8
  @OptionGroup var optimizer: OptimizerOptions
  @Option(help: "Weight of the soft Dice loss.")
  var diceWeight = 1.0
  @Option(help: "Weight of the cross-entropy loss.")
  var crossEntropyWeight = 1.0
  @Flag(help: "Train without augmentation.")
  var noAugmentation = false
  @Option var seed: UInt64 = 0
  @Flag(help: "Replace the checkpoint OUT when it exists.")
  var force = false
  @OptionGroup var runtime: RuntimeOptions

  enum UpsamplingChoice: String, ExpressibleByArgument {
    case bilinear, transposed

    var value: Upsampling { self == .bilinear ? .bilinear : .transposed }
  }

  func validate() throws {
    guard (16...CheckpointMetadata.maximumInputSide).contains(size) else {
      throw ValidationError("--size must be 16 to \(CheckpointMetadata.maximumInputSide)")
    }
    guard (1...6).contains(depth) else { throw ValidationError("--depth must be 1 to 6") }
    guard baseWidth >= 2, baseWidth % 2 == 0 else { throw ValidationError("--base-width must be even and at least 2") }
    guard epochs > 0, batchSize > 0 else { throw ValidationError("--epochs and --batch-size must be positive") }
    guard diceWeight >= 0, crossEntropyWeight >= 0, diceWeight + crossEntropyWeight > 0 else {
      throw ValidationError("--dice-weight and --cross-entropy-weight must not be negative, and not both 0")
    }
  }

  func run() throws {
    runtime.apply()
    try OutputFolder.checkCheckpoint(out, protecting: [], force: force)
    let run = SegmenterTrainingRun(
      architecture: UNetConfiguration(depth: depth, baseWidth: baseWidth, inputChannels: 1, classCount: 2, upsampling: upsampling.value),
      preprocessing: Preprocessing(width: size, height: size),
      configuration: SegmenterTrainingConfiguration(
        epochs: epochs, batchSize: batchSize, optimizer: optimizer.configuration, learningRateSchedule: optimizer.schedule, seed: seed,
        augmentation: noAugmentation ? .none : AugmentationConfiguration(),
        loss: SegmentationLossConfiguration(diceWeight: diceWeight, crossEntropyWeight: crossEntropyWeight)),
      producer: "isnetd \(BuildInfo.version) train-segmenter")
    let training = try load(run, "train")
    let validation = try load(run, "validation")
    guard let lungArea = LungAreaRange(fractions: training.lungFractions) else {
      throw ValidationError("\(data)/train has no image with a lung mask (<name>.mask.png)")
    }
    guard validation.dataset.count > 0 else {
      throw ValidationError("\(data)/validation has no image with a lung mask (<name>.mask.png)")
    }
    let checkpoint = Checkpoint(path: out)
    let stop = StopSignal(message: "stopping after this step; the best epoch is kept")
    print(String(format: "training a U-Net (depth %d, base width %d, %@) at %dx%d on %d images, validating on %d; training lung area %.1f%%...%.1f%% of the image",
                 depth, baseWidth, upsampling.rawValue, size, size, training.dataset.count, validation.dataset.count,
                 lungArea.minimum * 100, lungArea.maximum * 100))
    let (version, result) = try run.train(training: training, validation: validation, lungArea: lungArea, checkpoint: checkpoint,
                                          events: SegmenterProgressPrinter().report, shouldStop: { stop.isRequested })
    guard let best = result.best else {
      throw StopRequested("before the first epoch finished; nothing written")
    }
    print(String(format: "best epoch %d: validation Dice mean %.4f, median %.4f, minimum %.4f; wrote %@, model version %@ (not for clinical use)",
                 best.epoch, best.validation.meanDice, best.validation.medianDice, best.validation.minimumDice,
                 checkpoint.weightsPath, version))
    if result.stoppedEarly { throw StopRequested("training ended early; the best epoch so far is kept") }
  }

  private func load(_ run: SegmenterTrainingRun, _ part: String) throws -> SegmenterTrainingRun.Data {
    let throttle = ProgressThrottle(every: 2)
    let loaded = try run.load(LabeledFolder(root: "\(data)/\(part)")) { done, total in
      if throttle.allows(last: done == total) { print("loading \(part): \(done)/\(total)") }
    }
    if loaded.skipped > 0 { print("\(part): \(loaded.skipped) image(s) without a lung mask skipped") }
    return loaded
  }
}

/// Prints segmenter training progress: a step line at most every few seconds, a line per epoch.
final class SegmenterProgressPrinter {
  private let steps = ProgressThrottle(every: 5)

  func report(_ event: SegmenterTrainingEvent) {
    switch event {
    case .step(let epoch, let epochs, let step, let steps, let losses, let secondsPerStep, let remaining):
      guard self.steps.allows(last: step == steps) else { return }
      print(String(format: "epoch %d/%d step %d/%d loss %.4f dice loss %.4f ce %.4f | %.2f s/step, ETA %@", epoch, epochs, step,
                   steps, losses.total, losses.dice, losses.crossEntropy, secondsPerStep, ProgressPrinter.duration(remaining)))
    case .validated(let record):
      print(String(format: "epoch %d: train loss %.4f | validation loss %.4f Dice mean %.4f median %.4f min %.4f pixel accuracy %.4f | %.0f s%@",
                   record.epoch, record.trainingLoss, record.validationLosses.total, record.validation.meanDice,
                   record.validation.medianDice, record.validation.minimumDice, record.validation.pixelAccuracy, record.seconds,
                   record.improved ? " | best so far, saved" : ""))
    case .stopped(let epoch):
      print("stopped during epoch \(epoch)")
    }
  }
}
