import Engine
import Foundation
import Phantoms
public import Screening

/// How often a bundle's shortcut checks fire, per labelled split of a phantom dataset, and how often
/// they fire on the images whose background marker decided the prediction (a marker of another class
/// than the true one, and the prediction is the marker's class): the measurement of the default
/// bundle's README (`isnetd bundle evaluate`).
public struct ShortcutFlagEvaluation {
  /// Fractions of images on which the checks fired.
  public struct FlagRates: Codable, Sendable, Equatable {
    public var images: Int
    /// Either check.
    public var any: Double
    public var backgroundRelevance: Double
    public var backgroundRemoval: Double

    init(_ verdicts: [ShortcutVerdict]) {
      images = verdicts.count
      func rate(_ fired: (ShortcutVerdict) -> Bool) -> Double {
        verdicts.isEmpty ? 0 : Double(verdicts.filter(fired).count) / Double(verdicts.count)
      }
      any = rate(\.suspected)
      backgroundRelevance = rate { $0.fired.contains(.backgroundRelevance) }
      backgroundRemoval = rate { $0.fired.contains(.backgroundRemoval) }
    }
  }

  /// One split's figures.
  public struct Split: Codable, Sendable, Equatable {
    public var split: String
    public var images: Int
    /// Screened with a plausible lung mask: the images the figures below are about.
    public var screened: Int
    public var notAssessable: Int
    public var failed: Int
    public var accuracy: Double
    public var macroF1: Double
    public var flagged: FlagRates
    /// Among the screened images whose prediction was right / wrong.
    public var flaggedWhenCorrect: FlagRates
    public var flaggedWhenWrong: FlagRates
    /// Among the screened images that carry another class's marker and were predicted as that class;
    /// nil without a manifest.
    public var markerDecided: FlagRates?
  }

  public let bundle: ModelBundle
  public let options: PipelineOptions

  public init(bundle: ModelBundle, options: PipelineOptions = PipelineOptions()) {
    self.bundle = bundle
    self.options = options
  }

  /// Evaluates every split folder of `root` (each with class folders named as the bundle's classes);
  /// reads `root/manifest.json`, when `isnetd synth` wrote one, for the markers.
  public func evaluate(root: String, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> [Split] {
    let markers = try markerClassByPath(root: root)
    let pipeline = Pipeline(models: bundle.models, options: options)
    let checks = bundle.shortcutChecks
    let splits = try FileManager.default.contentsOfDirectory(atPath: root).filter { name in
      var isDirectory: ObjCBool = false
      return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &isDirectory)
        && isDirectory.boolValue
    }.sorted()
    return try splits.map { split in
      let folder = try LabeledFolder(root: "\(root)/\(split)", classNames: bundle.manifest.classes)
      var screened: [(label: Int, analysis: Analysis, verdict: ShortcutVerdict, markerClass: String?)] = []
      var notAssessable = 0
      var failed = 0
      pipeline.screen(folder, progress: { progress(split, $0, $1) }) { item, result in
        guard case .analysed(let analysis) = result.outcome else {
          failed += 1
          return
        }
        guard let verdict = checks.verdict(for: analysis) else {
          notAssessable += 1
          return
        }
        let relative = split + item.imagePath.dropFirst(folder.root.count)
        screened.append((item.label, analysis, verdict, markers?[relative] ?? nil))
      }
      let metrics = ClassificationMetrics(probabilities: screened.map(\.analysis.classification.probabilities),
                                          labels: screened.map(\.label), classNames: bundle.manifest.classes)
      let correct = screened.filter { $0.analysis.classification.predicted == $0.label }
      let wrong = screened.filter { $0.analysis.classification.predicted != $0.label }
      let classes = bundle.manifest.classes
      let decided = screened.filter { entry in
        guard let marker = entry.markerClass, let index = classes.firstIndex(of: marker) else { return false }
        return index != entry.label && entry.analysis.classification.predicted == index
      }
      return Split(
        split: split, images: folder.items.count, screened: screened.count, notAssessable: notAssessable, failed: failed,
        accuracy: metrics.accuracy, macroF1: metrics.macroF1, flagged: FlagRates(screened.map(\.verdict)),
        flaggedWhenCorrect: FlagRates(correct.map(\.verdict)), flaggedWhenWrong: FlagRates(wrong.map(\.verdict)),
        markerDecided: markers == nil ? nil : FlagRates(decided.map(\.verdict)))
    }
  }

  /// The class whose style each file's marker has ("covid-19"), nil for unmarked files, by path
  /// relative to `root`; nil without a manifest.
  func markerClassByPath(root: String) throws -> [String: String?]? {
    let path = "\(root)/manifest.json"
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let manifest = try DatasetManifest.decode(Data(contentsOf: URL(fileURLWithPath: path)))
    return Dictionary(manifest.files.map { ($0.path, $0.marker?.style.rawValue) }, uniquingKeysWith: { first, _ in first })
  }

  /// The figures as a Markdown table, one row per split.
  public static func markdown(_ splits: [Split]) -> String {
    func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }
    var lines = [
      "| split | images | screened | accuracy | flagged | by relevance | by removal | flagged when right / wrong | marker decided | flagged of those (relevance, removal) |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for split in splits {
      let decided = split.markerDecided.map { rates in
        rates.images == 0 ? ("0", "-")
          : ("\(rates.images)", "\(percent(rates.any)) (\(percent(rates.backgroundRelevance)), \(percent(rates.backgroundRemoval)))")
      } ?? ("-", "-")
      lines.append("| \(split.split) | \(split.images) | \(split.screened) | \(String(format: "%.3f", split.accuracy)) | "
        + "\(percent(split.flagged.any)) | \(percent(split.flagged.backgroundRelevance)) | \(percent(split.flagged.backgroundRemoval)) | "
        + "\(percent(split.flaggedWhenCorrect.any)) / \(percent(split.flaggedWhenWrong.any)) | \(decided.0) | \(decided.1) |")
    }
    return lines.joined(separator: "\n")
  }
}
