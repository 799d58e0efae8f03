import ArgumentParser
import Durable
import Engine
import Experiments
import Foundation
import Imaging
import PNG
import Phantoms
import Screening
import Torch

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
    try OutputGuard(protecting: ["\(data)/manifest.json"], force: force)
      .check(["results.md", "results.json", "chart.png", "heatmaps.png"].map { "\(out)/\($0)" })
    let preprocessing = Preprocessing(width: size, height: size)
    let loader = InputLoader(preprocessing: preprocessing, channels: 1)
    let splits = [ShortcutExperiment.trainingSplit, ShortcutExperiment.validationSplit] + ShortcutExperiment.testSplits
    let classNames = try LabeledFolder(root: "\(data)/\(ShortcutExperiment.trainingSplit)").classNames
    let manifest = try readManifest()
    let markerKindByPath = manifest.map { manifest in
      Dictionary(manifest.files.map { ($0.path, $0.marker?.kind.rawValue ?? "none") }, uniquingKeysWith: { first, _ in first })
    }
    var datasets: [String: InMemoryDataset] = [:]
    var markers: [String: [String]] = [:]
    for split in splits where FileManager.default.fileExists(atPath: "\(data)/\(split)") {
      let folder = try LabeledFolder(root: "\(data)/\(split)", classNames: classNames)
      datasets[split] = try folder.load(with: loader)
      if let markerKindByPath, ShortcutExperiment.testSplits.contains(split) {
        markers[split] = try markerKinds(of: folder, split: split, byPath: markerKindByPath)
      }
      print("loaded \(split): \(datasets[split]!.count) images")
    }
    let referenceData = try reference.map { root in
      let parts = try [ShortcutExperiment.trainingSplit, ShortcutExperiment.validationSplit].map { split in
        try LabeledFolder(root: "\(root)/\(split)", classNames: classNames).load(with: loader)
      }
      print("loaded the marker-free reference's data: \(parts[0].count) training, \(parts[1].count) validation images")
      return (training: parts[0], validation: parts[1])
    }
    let configuration = ShortcutExperiment.Configuration(
      variants: variants,
      architecture: architecture(classCount: classNames.count),
      preprocessing: preprocessing, training: recipe.configuration(variant: .selective))
    let ablation = try manifest.flatMap { manifest -> MarkerAblation? in
      let ablation = try MarkerAblation(manifest: manifest, root: data, split: .testConfounding, classNames: classNames, loader: loader)
      guard !ablation.pairs.isEmpty else { return nil }
      print("rendered \(ablation.pairs.count) marker-free twins of the confounding test images")
      return ablation
    }
    let stop = StopSignal(message: "stopping the experiment after this step")
    let progress = ProgressPrinter()
    let (results, models) = try ShortcutExperiment(configuration: configuration, classNames: classNames).run(
      datasets: datasets, markers: markers, reference: referenceData, ablation: ablation, events: { name, event in
        if case .validated = event { print("[\(name)]", terminator: " ") }
        progress.report(event)
      }, shouldStop: { stop.isRequested })

    let command = (["isnetd"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
    let report = ExperimentReport.markdown(results: results, command: command, configuration: configuration,
                                           dataDescription: "Data: \(data) (see its manifest.json for the generator's seed and parameters).")
    try AtomicFile.write(Data(report.utf8), to: "\(out)/results.md")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try AtomicFile.write(try encoder.encode(results), to: "\(out)/results.json")

    let testNames = ["BIASED", "UNBIASED", "CONFOUNDING"]
    func values(_ field: (ShortcutExperiment.TestResult) -> Double, _ splits: [String]) -> [[Double]] {
      results.map { result in splits.map { split in result.tests[split].map(field) ?? 0 } }
    }
    let chart = BarChart(series: results.map(\.name), panels: [
      BarChart.Panel(title: "Accuracy", categories: testNames, values: values(\.accuracy, ShortcutExperiment.testSplits)),
      BarChart.Panel(title: "Background share", categories: testNames, values: values(\.backgroundShare, ShortcutExperiment.testSplits)),
    ])
    try AtomicFile.write(Data(try chart.render().encoded()), to: "\(out)/chart.png")

    if let confounding = datasets["test-confounding"], confounding.count > 0 {
      let images = try (0..<Swift.min(heatmapImages, confounding.count)).map { index in
        try confounding.batch([index]).images
      }
      let panel = HeatmapPanel(models: models.map { ($0.name, $0.model) }, classNames: classNames)
      try AtomicFile.write(Data(try panel.render(images: images).encoded()), to: "\(out)/heatmaps.png")
    }
    print(report)
  }

  /// The manifest.json `isnetd synth` writes (each file's marker and seed); nil without one.
  private func readManifest() throws -> DatasetManifest? {
    let path = "\(data)/manifest.json"
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    return try DatasetManifest.decode(Data(contentsOf: URL(fileURLWithPath: path)))
  }

  /// The marker kind of each of `folder`'s images, in the folder's order.
  private func markerKinds(of folder: LabeledFolder, split: String, byPath kinds: [String: String]) throws -> [String] {
    try folder.items.map { item in
      guard let kind = kinds[split + item.imagePath.dropFirst(folder.root.count)] else {
        throw ValidationError("\(item.imagePath) is not in \(data)/manifest.json; was the folder changed after isnetd synth?")
      }
      return kind
    }
  }
}
