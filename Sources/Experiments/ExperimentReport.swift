import Engine
import Foundation
import Imaging

/// The experiment's results as a Markdown table, stating how they were produced.
public enum ExperimentReport {
  public static func markdown(results: [ShortcutExperiment.VariantResult], command: String,
                              configuration: ShortcutExperiment.Configuration, dataDescription: String) -> String {
    var lines = [
      "# Shortcut experiment (synthetic phantoms, not patients)",
      "",
      "Produced by `\(command)`. \(dataDescription)",
      "",
      "Model: DenseNet (growth \(configuration.architecture.growthRate), blocks \(configuration.architecture.blockLayers)) "
        + "at \(configuration.preprocessing.width)x\(configuration.preprocessing.height), \(configuration.epochs) epochs, "
        + "batch \(configuration.batchSize), seed \(configuration.seed), P = \(configuration.heatmapWeight), "
        + "C1/C2 tuned over \(configuration.cutTuningEpochs) epochs.",
      "",
      "| variant | biased acc | biased F1 | unbiased acc | unbiased F1 | confounding acc | confounding F1 | background share (biased) | background share (confounding) | s/epoch |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results {
      func cell(_ split: String, _ value: (ShortcutExperiment.TestResult) -> Double) -> String {
        result.tests[split].map { String(format: "%.3f", value($0)) } ?? "n/a"
      }
      lines.append("| \(result.variant.rawValue) | \(cell("test-biased", \.accuracy)) | \(cell("test-biased", \.macroF1)) | "
        + "\(cell("test-unbiased", \.accuracy)) | \(cell("test-unbiased", \.macroF1)) | \(cell("test-confounding", \.accuracy)) | "
        + "\(cell("test-confounding", \.macroF1)) | \(cell("test-biased", \.backgroundShare)) | "
        + "\(cell("test-confounding", \.backgroundShare)) | \(String(format: "%.1f", result.secondsPerEpoch)) |")
    }
    lines += [
      "",
      "Background share: Σ|H|·(1−M)/Σ|H| of the predicted class's LRP-Flex heatmap, mean over the test images.",
      "These numbers are on synthetic chest-X-ray phantoms with an artificial background marker, not on patient data.",
    ]
    return lines.joined(separator: "\n") + "\n"
  }
}
