import ArgumentParser
import Durable
import Engine
import Experiments
import Foundation
import Imaging
import Screening

/// The shortcut experiment: plain classifier against the ISNet variants on data with a background bias.
struct Experiment: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train the plain classifier and the ISNet variants on biased data and compare them on biased, unbiased and confounding test sets.",
    discussion: """
      DATA is a folder written by `isnetd synth` (train, validation, test-biased, test-unbiased and \
      test-confounding class folders with lung masks). OUT receives results.md (the table), \
      results.json, chart.png (accuracy and background-attention share) and heatmaps.png (plain vs ISNet \
      heatmaps on confounding test images). With --reference, a plain classifier trained on marker-free \
      data is trained first and every variant's accuracy gap to it is reported, per test split and per \
      marker kind. The figures are on synthetic phantoms, not patients.
      """)

  @Option(help: "Dataset folder written by isnetd synth.")
  var data: String
  @Option(help: ArgumentHelp(
    "A folder written by isnetd synth like DATA but without markers (--bias-strength 0 --bias-otherwise no-marker): its train/ and validation/ train a plain marker-free reference, and every variant's gap to it is reported.",
    valueName: "REF"))
  var reference: String?
  @Option(help: "Folder for the report.")
  var out: String
  @Option(help: "Variants to compare.", transform: Train.variant)
  var variants: [Variant] = [.plain, .selective, .stochastic, .original]
  @Option(help: "Model input side in pixels.")
  var size = 96
  @Option(help: "densenet or resnet (basic blocks, as torchvision's ResNet-18).")
  var backbone = Backbone.densenet
  @Option(help: "DenseNet growth rate k.")
  var growthRate = 8
  @Option(help: "Dense layers per block (DenseNet; default 2 3 4) or basic blocks per stage (ResNet; default 2 2 2 2).")
  var blockLayers: [Int] = []
  @Option(help: "ResNet feature maps per stage (default 16 32 64 128).")
  var widths: [Int] = []
  @Option(help: "Feature maps of the stem convolution.")
  var initialFeatures = 16
  @OptionGroup var recipe: TrainingOptions
  @Option(help: "Confounding test images drawn in heatmaps.png.")
  var heatmapImages = 6
  @Flag(help: "Replace results.md, results.json, chart.png and heatmaps.png in OUT when they exist.")
  var force = false
  @OptionGroup var runtime: RuntimeOptions

  enum Backbone: String, ExpressibleByArgument, CaseIterable { case densenet, resnet }

  func validate() throws {
    if backbone == .densenet, !widths.isEmpty { throw ValidationError("--widths applies to --backbone resnet") }
  }

  /// The backbone for `classCount` classes with these options.
  func architecture(classCount: Int) -> Architecture {
    switch backbone {
    case .densenet:
      .denseNet(DenseNetConfiguration(growthRate: growthRate, blockLayers: blockLayers.isEmpty ? [2, 3, 4] : blockLayers,
                                      initialFeatures: initialFeatures, classCount: classCount, inputChannels: 1))
    case .resnet:
      .resNet(ResNetConfiguration(blockLayers: blockLayers.isEmpty ? [2, 2, 2, 2] : blockLayers,
                                  widths: widths.isEmpty ? [16, 32, 64, 128] : widths, initialFeatures: initialFeatures,
                                  classCount: classCount, inputChannels: 1))
    }
  }

  func run() throws {
    runtime.apply()
    try OutputFolder.prepare(out)
    try OutputGuard(protecting: ["\(data)/manifest.json"], force: force).check(ExperimentReport.fileNames.map { "\(out)/\($0)" })
    let preprocessing = Preprocessing(width: size, height: size)
    let experimentData = try ExperimentData(root: data, referenceRoot: reference,
                                            loader: InputLoader(preprocessing: preprocessing, channels: 1), progress: { print($0) })
    let configuration = ShortcutExperiment.Configuration(
      variants: variants,
      architecture: architecture(classCount: experimentData.classNames.count),
      preprocessing: preprocessing, training: recipe.configuration(variant: .selective))
    let stop = StopSignal(message: "stopping the experiment after this step")
    let progress = ProgressPrinter()
    let (results, models) = try ShortcutExperiment(configuration: configuration, classNames: experimentData.classNames).run(
      data: experimentData, events: { name, event in
        if case .validated = event { print("[\(name)]", terminator: " ") }
        progress.report(event)
      }, shouldStop: { stop.isRequested })
    let report = try ExperimentReport.write(
      results: results, models: models, data: experimentData, configuration: configuration,
      command: (["isnetd"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
      dataDescription: "Data: \(data) (see its manifest.json for the generator's seed and parameters).",
      heatmapImages: heatmapImages, to: out)
    print(report)
  }
}
