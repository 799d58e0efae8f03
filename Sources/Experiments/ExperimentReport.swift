import Durable
import Engine
import Foundation
import Imaging
import PNG

/// The experiment's results as a Markdown table, stating how they were produced, and the files an
/// experiment leaves in its output folder.
public enum ExperimentReport {
  /// What `write` puts in the output folder.
  public static let fileNames = ["results.md", "results.json", "chart.png", "heatmaps.png"]

  /// Writes results.md (the tables), results.json, chart.png (accuracy and background share per test
  /// split) and heatmaps.png (each model's heatmaps on the first `heatmapImages` confounding test
  /// images) into `folder`, each atomically; returns the Markdown.
  public static func write(results: [ShortcutExperiment.VariantResult], models: [ShortcutExperiment.TrainedModel],
                           data: ExperimentData, configuration: ShortcutExperiment.Configuration, command: String,
                           dataDescription: String, heatmapImages: Int, to folder: String) throws -> String {
    let report = markdown(results: results, command: command, configuration: configuration, dataDescription: dataDescription)
    try AtomicFile.write(Data(report.utf8), to: "\(folder)/results.md")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try AtomicFile.write(try encoder.encode(results), to: "\(folder)/results.json")

    func values(_ field: (ShortcutExperiment.TestResult) -> Double) -> [[Double]] {
      results.map { result in ShortcutExperiment.testSplits.map { split in result.tests[split].map(field) ?? 0 } }
    }
    let testNames = ["BIASED", "UNBIASED", "CONFOUNDING"]
    let chart = BarChart(series: results.map(\.name), panels: [
      BarChart.Panel(title: "Accuracy", categories: testNames, values: values(\.accuracy)),
      BarChart.Panel(title: "Background share", categories: testNames, values: values(\.backgroundShare)),
    ])
    try AtomicFile.write(Data(try chart.render().encoded()), to: "\(folder)/chart.png")

    if let confounding = data.datasets["test-confounding"], confounding.count > 0 {
      let images = try (0..<min(heatmapImages, confounding.count)).map { index in try confounding.batch([index]).images }
      let panel = HeatmapPanel(models: models.map { ($0.name, $0.model) }, classNames: data.classNames)
      try AtomicFile.write(Data(try panel.render(images: images).encoded()), to: "\(folder)/heatmaps.png")
    }
    return report
  }

  public static func markdown(results: [ShortcutExperiment.VariantResult], command: String,
                              configuration: ShortcutExperiment.Configuration, dataDescription: String) -> String {
    var lines = [
      "# Shortcut experiment (synthetic phantoms, not patients)",
      "",
      "Produced by `\(command)`. \(dataDescription)",
      "",
      "Model: \(configuration.architecture.summary) "
        + "at \(configuration.preprocessing.width)x\(configuration.preprocessing.height). Training: \(recipe(configuration.training)).",
      "",
      "| variant | biased acc | biased F1 | unbiased acc | unbiased F1 | confounding acc | confounding F1 | background share (biased) | background share (confounding) | s/epoch |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results {
      func cell(_ split: String, _ value: (ShortcutExperiment.TestResult) -> Double) -> String {
        result.tests[split].map { String(format: "%.3f", value($0)) } ?? "n/a"
      }
      lines.append("| \(result.name) | \(cell("test-biased", \.accuracy)) | \(cell("test-biased", \.macroF1)) | "
        + "\(cell("test-unbiased", \.accuracy)) | \(cell("test-unbiased", \.macroF1)) | \(cell("test-confounding", \.accuracy)) | "
        + "\(cell("test-confounding", \.macroF1)) | \(cell("test-biased", \.backgroundShare)) | "
        + "\(cell("test-confounding", \.backgroundShare)) | \(String(format: "%.1f", result.secondsPerEpoch)) |")
    }
    lines += markerTable(results: results, split: "test-confounding")
    lines += gapTable(results: results)
    lines += ablationTable(results: results)
    lines += [
      "",
      "Background share: Σ|H|·(1−M)/Σ|H| of the predicted class's LRP-Flex heatmap, mean over the test images.",
      "These numbers are on synthetic chest-X-ray phantoms with an artificial background marker, not on patient data.",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  /// Accuracy per marker kind on one test split, when the data's markers are known: on the confounding
  /// split, a low figure for a kind says the model still reads that marker.
  static func markerTable(results: [ShortcutExperiment.VariantResult], split: String) -> [String] {
    let kinds = Set(results.flatMap { $0.tests[split]?.accuracyByMarker.keys.map { $0 } ?? [] }).sorted()
    guard !kinds.isEmpty else { return [] }
    var lines = [
      "",
      "Accuracy on \(split) by the marker each image carries:",
      "",
      "| variant | " + kinds.joined(separator: " | ") + " |",
      "| --- |" + String(repeating: " --- |", count: kinds.count),
    ]
    for result in results {
      let cells = kinds.map { kind in result.tests[split]?.accuracyByMarker[kind].map { String(format: "%.3f", $0) } ?? "n/a" }
      lines.append("| \(result.name) | " + cells.joined(separator: " | ") + " |")
    }
    return lines
  }

  /// Each variant's accuracy minus the marker-free reference's, per test split and per marker kind on
  /// the confounding split: how far the variant is from a classifier that never saw the bias.
  static func gapTable(results: [ShortcutExperiment.VariantResult]) -> [String] {
    guard let reference = results.first(where: \.markerFreeReference) else { return [] }
    let splits = ShortcutExperiment.testSplits.filter { reference.tests[$0] != nil }
    let confounding = "test-confounding"
    let kinds = (reference.tests[confounding]?.accuracyByMarker.keys.sorted() ?? [])
    func gap(_ value: Double?, _ base: Double?) -> String {
      guard let value, let base else { return "n/a" }
      return String(format: "%+.3f", value - base)
    }
    var lines = [
      "",
      "Gap to the marker-free reference (the variant's accuracy minus the reference's; by marker kind on \(confounding)):",
      "",
      "| variant | " + (splits + kinds.map { "\(confounding) \($0)" }).joined(separator: " | ") + " |",
      "| --- |" + String(repeating: " --- |", count: splits.count + kinds.count),
    ]
    for result in results where !result.markerFreeReference {
      let cells = splits.map { gap(result.tests[$0]?.accuracy, reference.tests[$0]?.accuracy) }
        + kinds.map { gap(result.tests[confounding]?.accuracyByMarker[$0], reference.tests[confounding]?.accuracyByMarker[$0]) }
      lines.append("| \(result.name) | " + cells.joined(separator: " | ") + " |")
    }
    return lines
  }

  /// How the confounding markers act on each model, from the marker ablation.
  static func ablationTable(results: [ShortcutExperiment.VariantResult]) -> [String] {
    let measured = results.compactMap { result in result.markerAblation.map { (result.name, $0) } }
    guard let first = measured.first?.1 else { return [] }
    var lines = [
      "",
      "How the marker acts on test-confounding (\(first.images) images, each against its twin rendered without the marker): "
        + "the change of z(marker's class) − z(true class) the marker causes, the part of it from the intensity window its "
        + "pixels move (the twin under the marked image's window), the change split over the last ReLU layer's units it "
        + "switched off (no relevance reaches them), switched on, or left active; what the LRP heatmap of that margin puts "
        + "on the marker's pixels (marked minus twin, in the same logit units); and the marker pixels' share of the "
        + "predicted class's heatmap against their share of the image:",
      "",
      "| variant | prediction changed | margin shift | via the window | via units switched off | via units switched on | via units still active | units switched off | margin relevance on marker | marker relevance share | marker area |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (name, figures) in measured {
      lines.append("| \(name) | " + [figures.predictionChanged, figures.marginShift, figures.throughWindow, figures.throughSwitchedOff, figures.throughSwitchedOn,
                                       figures.throughStillActive, figures.unitsSwitchedOff, figures.marginRelevanceOnMarker,
                                       figures.markerRelevanceShare, figures.markerArea]
        .map { String(format: "%.3f", $0) }.joined(separator: " | ") + " |")
    }
    return lines
  }

  /// The training recipe in one line: every setting that changes the numbers.
  static func recipe(_ training: TrainingConfiguration) -> String {
    let optimizer = switch training.optimizer {
    case .sgd(let rate, let momentum, _): "SGD (learning rate \(rate), momentum \(momentum))"
    case .adam(let rate, _, _, _, _): "Adam (learning rate \(rate))"
    }
    let schedule = switch training.learningRateSchedule {
    case .constant: "constant"
    case .cosine(let floor): "cosine to \(floor) x"
    }
    let loss = training.objective.loss
    return "\(training.epochs) epochs, batch \(training.batchSize), seed \(training.seed), \(optimizer), "
      + "\(schedule) learning-rate schedule, P = \(training.objective.heatmapWeight) "
      + "(warm-up \(training.heatmapWeightSchedule.warmupEpochs) epochs), d = \(loss.backgroundDecay), "
      + "E = \(loss.backgroundScale), C1/C2 tuned over \(training.cutTuningEpochs) epochs, BatchNorm "
      + "\(training.objective.relevance.batchNorm == .detachedStatistics ? "statistics detached" : "statistics differentiated") in the heatmap, "
      + "BatchNorm running statistics re-estimated on \(training.batchNormRecalibrationBatches) batches after each epoch, "
      + deepSupervision(training.objective.deepSupervision)
      + (training.augmentation.backgroundSwap.map { ", background swapped with probability \($0)" } ?? "")
      + (training.objective.backgroundInvariance.map {
        ", background invariance λ = \($0) against \((training.objective.invarianceBackground ?? .blank).rawValue) backgrounds"
      } ?? "")
      + (training.batchNormFrozenAfterEpoch.map { ", BatchNorm frozen after epoch \($0)" } ?? "")
  }

  static func deepSupervision(_ configuration: DeepSupervisionConfiguration?) -> String {
    guard let configuration else { return "no deep supervision" }
    return "LRP deep supervision (layer decay \(configuration.layerDecay), hidden layers' C1/C2 tuned)"
  }
}
