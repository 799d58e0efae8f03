import ArgumentParser
import Foundation
import Screening

/// Screens chest X-rays with a model bundle: a line per file on the terminal, and a JSON report, the
/// heatmap picture, the lung mask and the raw heatmap per file in the output folder.
struct Classify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Screen chest X-rays: prediction, LRP heatmap and shortcut verdict per DICOM file.",
    discussion: """
      Each FILE goes through the screening pipeline (docs/reports.md): decode, acceptance rules, lung \
      mask, classification with the LRP heatmap of the prediction, and the two shortcut checks \
      (relevance outside the lungs, and the prediction without the background) against the bundle's \
      calibrated limits. One line per file is printed: prediction, confidence, background share and \
      verdict, or the error code and reason. With --out, OUT/<SOP Instance UID>.json (the report), \
      .overlay.png, .mask.png and .relevance.safetensors are written atomically, the report last; a file \
      whose SOP Instance UID is not a valid UID is named sha256-<hash>. Existing outputs are never \
      replaced without --force. Exits 0 when every file was screened or deliberately not screened, 1 \
      when any failed. Not for clinical use.
      """)

  @Argument(help: "DICOM files.")
  var files: [String]
  @Option(help: "Model bundle folder (default: the shipped default bundle, models/default.isnetd-model).")
  var model: String?
  @Option(help: "Output folder for the reports and pictures (created when missing); without it nothing is written.")
  var out: String?
  @Flag(help: "Print each report as one JSON line instead of the summary line.")
  var json = false
  @Option(help: "Images that go through the networks together.")
  var batch = 8
  @Flag(help: "Also write a DICOM Comprehensive SR and a Secondary Capture of the picture, in the original study.")
  var dicomOutputs = false
  @Flag(help: "Replace outputs that exist already.")
  var force = false
  @Flag(help: "Put the patient's name, ID, sex and age into the reports (left out by default).")
  var includePatientFields = false
  @Option(help: "Longest side of the picture in pixels.")
  var pictureSize = 1024
  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("Name at least one DICOM file.") }
    guard batch > 0 else { throw ValidationError("--batch must be positive.") }
    guard pictureSize >= 64 else { throw ValidationError("--picture-size must be at least 64.") }
    if out == nil, dicomOutputs || force {
      throw ValidationError("--dicom-outputs and --force need --out.")
    }
  }

  func run() throws {
    runtime.apply()
    // The output folder is checked before the model is loaded.
    let writer = try out.map { folder in
      try OutputFolder.prepare(folder)
      return OutputWriter(directory: folder, selection: OutputSelection(dicom: dicomOutputs),
                          overlay: OverlayRenderer(longestSide: pictureSize))
    }
    let bundle = try ModelBundle(path: try BundleOption.resolve(model))
    let screener = Screener(bundle: bundle, options: PipelineOptions(batchSize: batch), writer: writer, overwrite: force,
                            includePatientFields: includePatientFields)
    var failures = 0
    screener.screen(files) { screened in
      if let report = screened.report, report.verdict != .error {
        print(json ? String(decoding: (try? report.jsonLine()) ?? Data(), as: UTF8.self) : Self.summary(screened.path, report))
      } else {
        failures += 1
        if json, let report = screened.report, let line = try? report.jsonLine() {
          print(String(decoding: line, as: UTF8.self))
        } else {
          let problem = screened.problem ?? screened.report?.problem
          print("\(screened.path): error: \(problem.map(String.init(describing:)) ?? "unknown")")
        }
      }
    }
    if failures > 0 { throw ExitCode.failure }
  }

  /// "file: pneumonia 0.93, background 12% (limit 31%), removal drop 0.02: screened, no shortcut suspected -> OUT/x.json".
  static func summary(_ path: String, _ report: Report) -> String {
    var line = "\(path): "
    switch report.verdict {
    case .notScreened, .error:
      line += "\(report.verdict.rawValue): \(report.problem.map(String.init(describing:)) ?? "")"
    case .screened, .notAssessable:
      let classification = report.classification!
      line += "\(classification.prediction) \(String(format: "%.2f", classification.confidence))"
      if let checks = report.shortcutChecks {
        let relevance = checks.backgroundRelevance
        let removal = checks.backgroundRemoval
        line += String(format: ", background %.0f%% (limit %.0f%%), without background %@ (drop %.2f, limit %.2f)",
                       relevance.share * 100, relevance.threshold * 100, removal.prediction, removal.confidenceDrop,
                       removal.confidenceDropLimit)
        line += report.shortcutSuspected == true
          ? ": SHORTCUT SUSPECTED (\(checks.checksFired.map(\.rawValue).joined(separator: ", ")))"
          : ": screened, no shortcut suspected"
      } else {
        line += ": not assessable (\(report.lungMask?.reasons.map(\.code.rawValue).joined(separator: ", ") ?? ""))"
      }
    }
    if let name = report.outputs.report { line += " -> \(name)" }
    return line
  }
}

/// `--model`: a bundle folder, or the default bundle when none is named.
enum BundleOption {
  static func resolve(_ model: String?) throws -> String {
    if let model { return model }
    guard let found = ModelBundle.locateDefault() else {
      throw ValidationError("no --model given and no default bundle found; looked in: "
        + ModelBundle.defaultCandidates().joined(separator: ", "))
    }
    return found
  }
}
