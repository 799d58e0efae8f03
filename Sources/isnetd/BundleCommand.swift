import ArgumentParser
import Engine
import Experiments
import Foundation
import Imaging
import Screening

/// `isnetd bundle create|show`: model bundles, the classifier and segmenter with calibrated
/// shortcut-check limits (docs/model-bundle.md).
struct BundleCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bundle",
    abstract: "Make and describe model bundles (classifier, lung segmenter, calibrated shortcut checks).",
    subcommands: [Create.self, Show.self, Evaluate.self])

  struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Make a model bundle from a classifier and a segmenter checkpoint, calibrating its shortcut checks.",
      discussion: """
        CALIBRATION holds one folder per class of DICOM files (a validation split in the layout of \
        docs/data-layout.md), named as the classifier's classes. Every image is screened; the limit of \
        each shortcut check is the --quantile of its measurement (background share, confidence drop \
        without the background) over the correctly classified images with a plausible lung mask, capped \
        at the ceiling. At least --minimum-images such images are needed. The bundle is assembled beside \
        OUT and put in place in one step; an existing OUT is replaced only with --force, and only when \
        it is a bundle.
        """)

    @Option(help: "Classifier checkpoint (the .safetensors file, its .json sidecar, or their common stem).")
    var classifier: String
    @Option(help: "Lung segmenter checkpoint.")
    var segmenter: String
    @Option(help: "Labelled calibration folder (one folder per class).")
    var calibration: String
    @Option(help: "Bundle folder to write (NAME.isnetd-model).")
    var out: String
    @Option(help: "Bundle id (default: OUT's name without .isnetd-model).")
    var id: String?
    @Option(help: "Quantile of the calibration measurements that sets each limit.")
    var quantile = ShortcutCalibrator().quantile
    @Option(help: "Fewest correctly classified calibration images with a plausible mask.")
    var minimumImages = ShortcutCalibrator().minimumImages
    @Option(help: "Highest background-share limit, whatever the calibration says.")
    var shareCeiling = ShortcutCalibrator().backgroundShareCeiling
    @Option(help: "Highest confidence-drop limit, whatever the calibration says.")
    var dropCeiling = ShortcutCalibrator().confidenceDropCeiling
    @Option(help: "Highest switch-margin limit (another class winning without the background), whatever the calibration says.")
    var switchCeiling = ShortcutCalibrator().predictionSwitchCeiling
    @Option(help: "Margin around the lungs for the background checks, as a fraction of the image's longer side.")
    var margin = BundleManifest.LungMaskSettings().dilationMargin
    @Option(help: "Model-input value that replaces the background for the removal check (default: the letterbox padding value).")
    var fill: Float?
    @Option(help: "Images that go through the networks together.")
    var batch = 8
    @Flag(help: "Replace OUT when it is a bundle.")
    var force = false
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
      guard quantile > 0, quantile <= 1 else { throw ValidationError("--quantile must lie in (0, 1]") }
      guard minimumImages > 0, batch > 0 else { throw ValidationError("--minimum-images and --batch must be positive") }
      for (name, value) in [("--share-ceiling", shareCeiling), ("--drop-ceiling", dropCeiling), ("--switch-ceiling", switchCeiling)] {
        guard value.isFinite, (0...1).contains(value) else { throw ValidationError("\(name) must lie in [0, 1]") }
      }
      guard margin.isFinite, (0...0.5).contains(margin) else { throw ValidationError("--margin must lie in [0, 0.5]") }
      if let fill { guard fill.isFinite, (0...1).contains(fill) else { throw ValidationError("--fill must lie in [0, 1]") } }
      guard BundleRecipe.isValidID(bundleID) else {
        throw ValidationError("the bundle id \"\(bundleID)\" must be 1 to 64 letters, digits, '.', '_' or '-' (set --id)")
      }
    }

    var bundleID: String {
      id ?? URL(fileURLWithPath: out).lastPathComponent.replacingOccurrences(of: ".isnetd-model", with: "")
    }

    func run() throws {
      runtime.apply()
      let recipe = BundleRecipe(
        id: bundleID,
        calibrator: ShortcutCalibrator(quantile: quantile, minimumImages: minimumImages, backgroundShareCeiling: shareCeiling,
                                       confidenceDropCeiling: dropCeiling, predictionSwitchCeiling: switchCeiling),
        lungMask: BundleManifest.LungMaskSettings(dilationMargin: margin), backgroundFill: fill,
        pipeline: PipelineOptions(batchSize: batch))
      let throttle = ProgressThrottle(every: 5)
      let bundle = try ModelBundle.create(
        at: out, classifier: classifier, segmenter: segmenter, calibrationFolder: calibration, recipe: recipe, replace: force,
        isnetdVersion: isnetdVersion
      ) { done, total in
        if throttle.allows(last: done == total) { print("calibrating: \(done)/\(total) images") }
      }
      print(BundleDescription(bundle).text)
      print("wrote \(bundle.path) (not for clinical use)")
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check a model bundle and describe it: classes, input, model, training, calibration.")

    @Argument(help: "Bundle folder (default: the shipped default bundle).")
    var bundle: String?
    @Flag(help: "Print bundle.json as loaded, after its checks.")
    var json = false

    func run() throws {
      let loaded = try ModelBundle(path: try BundleOption.resolve(bundle))
      if json {
        print(String(decoding: try Checkpoint.encoder.encode(loaded.manifest), as: UTF8.self))
      } else {
        print(BundleDescription(loaded).text)
      }
    }
  }
}

extension BundleCommand {
  struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Screen labelled splits with a bundle: accuracy and how often each shortcut check fires.",
      discussion: """
        DATA holds split folders (test-biased/, test-unbiased/, ...), each with one folder per class named \
        as the bundle's classes. Per split: images, screened (plausible lung mask), accuracy, the share \
        flagged by either check and by each, among right and wrong predictions. With the manifest.json \
        of `isnetd synth`, also the images whose background marker decided the prediction (another \
        class's marker, predicted as that class) and how often the checks fire on them.
        """)

    @Argument(help: "Bundle folder (default: the shipped default bundle).")
    var bundle: String?
    @Option(help: "Folder of labelled split folders.")
    var data: String
    @Option(help: "Images that go through the networks together.")
    var batch = 8
    @Flag(help: "Print the figures as JSON.")
    var json = false
    @OptionGroup var runtime: RuntimeOptions

    func run() throws {
      runtime.apply()
      let loaded = try ModelBundle(path: try BundleOption.resolve(bundle))
      let throttle = ProgressThrottle(every: 5)
      let splits = try ShortcutFlagEvaluation(bundle: loaded, options: PipelineOptions(batchSize: batch)).evaluate(root: data) {
        split, done, total in
        guard throttle.allows(last: done == total) else { return }
        FileHandle.standardError.write(Data("\(split): \(done)/\(total) images\n".utf8))
      }
      if json {
        print(String(decoding: try Checkpoint.encoder.encode(splits), as: UTF8.self))
      } else {
        print("bundle \(loaded.manifest.id) \(loaded.manifest.version) on \(data) (not for clinical use)")
        print(ShortcutFlagEvaluation.markdown(splits))
      }
    }
  }
}

/// A bundle described for people.
struct BundleDescription {
  let bundle: ModelBundle

  init(_ bundle: ModelBundle) { self.bundle = bundle }

  var text: String {
    let manifest = bundle.manifest
    let checks = manifest.shortcutChecks
    let model = manifest.model
    let input = manifest.input
    var lines = [
      "bundle \(manifest.id) \(manifest.version) at \(bundle.path)",
      "  classes          \(manifest.classes.joined(separator: ", "))",
      "  input            \(input.channels) channel(s), \(input.width) x \(input.height), percentile window \(input.preprocessing.window.lowerPercentile)/\(input.preprocessing.window.upperPercentile), padding \(input.preprocessing.padValue)",
      "  classifier       \(manifest.classifier.modelVersion) (\(model.variant?.rawValue ?? "imported"), \(model.architecture.summary)), trained \(model.trainedAt.formatted(.iso8601))",
      "  segmenter        \(manifest.segmenter.modelVersion)",
    ]
    if let training = model.training {
      lines.append("  recipe           \(training.epochs) epochs, batch \(training.batchSize), P \(training.objective.heatmapWeight), d \(training.objective.loss.backgroundDecay), E \(training.objective.loss.backgroundScale), C1 \(String(format: "%.4g", training.objective.loss.lowerCut)), C2 \(String(format: "%.4g", training.objective.loss.upperCut)), seed \(training.seed)")
    }
    if let data = model.trainingData {
      lines.append("  training data    \(data.trainingImages) training, \(data.validationImages) validation images, \(data.fingerprint)")
    }
    if let validation = model.validation {
      lines.append(String(format: "  validation       accuracy %.3f, macro F1 %.3f on %d images", validation.accuracy, validation.macroF1, validation.count))
    }
    lines.append(String(format: "  calibration      %d images, %d assessed, %d used; pipeline accuracy %.3f, macro F1 %.3f; flags %.1f%% of the used",
                        checks.data.images, checks.data.assessed, checks.data.used, checks.data.accuracy, checks.data.macroF1,
                        checks.data.flaggedWhenCorrect * 100))
    lines.append(Self.limit("background share", checks.backgroundShare))
    lines.append(Self.limit("confidence drop", checks.confidenceDrop) + String(format: " (background filled with %.2f)", checks.backgroundRemovalFill))
    lines.append(Self.limit("switch margin", checks.predictionSwitch))
    lines.append(String(format: "  lung mask        margin %.3f of the longer side", manifest.lungMask.dilationMargin))
    lines.append("  clinical use     \(manifest.clinicallyValidated ? "validated" : "not for clinical use")")
    return lines.joined(separator: "\n")
  }

  static func limit(_ name: String, _ limit: CalibratedLimit) -> String {
    "  " + name.padding(toLength: 17, withPad: " ", startingAt: 0)
      + String(format: "%.4f (quantile %g of %d images: %.4f, within 0 and %g)", limit.value, limit.quantile, limit.images, limit.calibrated, limit.ceiling)
  }
}
