import DICOM
import Foundation
@testable import Imaging
import Phantoms
import Safetensors
@testable import Screening
import Testing
import TestSupport

@Suite("Screening pipeline", .serialized)
struct PipelineTests {
  @Test("a batch of 8 gives each image the probabilities, heatmap, share and check of its single run (1e-5)")
  func batchEqualsSingles() throws {
    let bundle = try ShippedBundles.default.get()
    let directory = try TemporaryDirectory()
    let paths = PhantomFiles.frontalSamples
      + (try PhantomFiles.write([("extra", PhantomFiles.chest(.pneumonia, seed: 41, size: 300))], to: directory))
    #expect(paths.count == 8)
    let batched = Pipeline(models: bundle.models, options: PipelineOptions(batchSize: 8)).screen(paths)
    let single = Pipeline(models: bundle.models, options: PipelineOptions(batchSize: 1)).screen(paths)
    for (together, alone) in zip(batched, single) {
      guard case .analysed(let a) = together.outcome, case .analysed(let b) = alone.outcome else {
        Issue.record("\(together.file.name) was not analysed")
        continue
      }
      #expect(a.classification.predicted == b.classification.predicted, "\(together.file.name)")
      #expect(zip(a.classification.probabilities, b.classification.probabilities).allSatisfy { Swift.abs($0 - $1) <= 1e-5 })
      let scale = b.relevance.values.map(Swift.abs).max() ?? 0
      #expect(zip(a.relevance.values, b.relevance.values).map { Swift.abs($0 - $1) }.max()! <= 1e-5 * Swift.max(scale, 1e-12))
      #expect(a.segmentation.mask == b.segmentation.mask)
      #expect(Swift.abs((a.backgroundShare ?? -1) - (b.backgroundShare ?? -1)) <= 1e-5)
      #expect(Swift.abs((a.backgroundRemoval?.confidenceDrop ?? -9) - (b.backgroundRemoval?.confidenceDrop ?? -9)) <= 1e-5)
      #expect(Swift.abs((a.backgroundRemoval?.switchMargin ?? -9) - (b.backgroundRemoval?.switchMargin ?? -9)) <= 1e-5)
    }
  }

  @Test("the background share recomputed from the saved heatmap and mask equals the report's; the lung mask PNG is the report's")
  func shareRecomputed() throws {
    let bundle = try ShippedBundles.default.get()
    let out = try TemporaryDirectory()
    let writer = OutputWriter(directory: out.url.path, overlay: OverlayRenderer(longestSide: 256))
    var reports: [String] = []
    Screener(bundle: bundle, writer: writer).screen(Array(PhantomFiles.frontalSamples.prefix(4))) { screened in
      reports.append(out.path(screened.names.report))
    }
    try ReportSchema.validate(reports)
    for path in reports {
      let report = try Report.read(path)
      let checks = try #require(report.shortcutChecks, "\(path) was not screened")
      let file = try SafetensorsFile(path: out.path(try #require(report.outputs.relevance)))
      let relevance = try file.tensor(named: "relevance").floats()
      let mask = try file.tensor(named: "background_check_mask").floats()
      let pixels = mask.count
      var outside = 0.0
      var total = 0.0
      for (index, value) in relevance.enumerated() {
        let magnitude = Double(Swift.abs(value))
        total += magnitude
        outside += magnitude * Double(1 - mask[index % pixels])
      }
      #expect(Swift.abs(outside / total - checks.backgroundRelevance.share) < 1e-6, "\(path)")
      #expect(file.metadata["explainedClass"] == report.classification?.prediction)

      let lungs = try LungMask.read(path: out.path(try #require(report.outputs.lungMask))).image
      #expect(lungs.width == report.lungMask?.width && lungs.height == report.lungMask?.height)
      #expect(lungs.width == report.input.columns && lungs.height == report.input.rows, "a 512-pixel image keeps its geometry")
      #expect(lungs.pixels.filter { $0 > 0.5 }.count == report.lungMask?.lungPixels)
    }
  }

  @Test("every way an input ends: screened, not assessable (implausible mask), not screened (lateral), truncated, and a hostile SOP Instance UID named by hash inside --out")
  func outcomes() throws {
    let bundle = try ShippedBundles.default.get()
    let root = try TemporaryDirectory()
    let inputs = root.path("inputs")
    try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: false)
    // A uniform grey "radiograph" with chest attributes: the segmenter finds no lungs in it.
    let blank = "\(inputs)/blank.dcm"
    try DICOMFixtures.writeMonochrome16(to: blank, rows: 200, columns: 160, values: [UInt16](repeating: 2000, count: 200 * 160),
                                        bitsStored: 12, extraAttributes: DICOMFixtures.chestRadiographAttributes)
    let hostile = "\(inputs)/hostile.dcm"
    try FileManager.default.copyItem(atPath: PhantomFiles.frontalSamples[0], toPath: hostile)
    try Command.run("dcmodify", ["--quiet", "-nb", "-m", "(0008,0018)=../../x", hostile])
    let samples = Repository.root.appendingPathComponent("samples").path
    let paths = [PhantomFiles.frontalSamples[0], blank, "\(samples)/normal-lateral.dcm", "\(samples)/broken-truncated.dcm", hostile,
                 "\(inputs)/missing.dcm"]
    let out = root.path("out")
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
    let before = try FileManager.default.subpathsOfDirectory(atPath: root.url.path).filter { !$0.hasPrefix("out") }

    var screened: [ScreenedFile] = []
    Screener(bundle: bundle, writer: OutputWriter(directory: out, overlay: OverlayRenderer(longestSide: 256))).screen(paths) {
      screened.append($0)
    }
    let reports = try screened.map { try #require($0.report, "\($0.path): \(String(describing: $0.problem))") }
    #expect(reports.map(\.verdict) == [.screened, .notAssessable, .notScreened, .error, .screened, .error])
    #expect(reports[1].lungMask?.plausible == false && reports[1].lungMask?.reasons.isEmpty == false)
    #expect(reports[1].shortcutSuspected == nil && reports[1].classification != nil)
    #expect(reports[2].problem?.code == "view_not_screened")
    #expect(reports[3].problem?.code == "truncated")
    #expect(reports[5].problem?.code == "unreadable" && reports[5].problem?.detail == "no such file")
    #expect(reports[4].input.sopInstanceUid == "../../x")
    #expect(screened[4].names.stem == "sha256-\(reports[4].input.sha256!.prefix(16))")
    #expect(screened[3].names.stem.hasPrefix("sha256-") && screened[5].names.stem.hasPrefix("path-sha256-"))
    // Nothing was written outside the output folder.
    let after = try FileManager.default.subpathsOfDirectory(atPath: root.url.path).filter { !$0.hasPrefix("out") }
    #expect(after.sorted() == before.sorted())
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).allSatisfy { !$0.hasPrefix(".") })
    try ReportSchema.validate(screened.map { "\(out)/\($0.names.report)" })
  }

  @Test("outputs that exist are not replaced without --force, two inputs never share outputs, and --force replaces")
  func existingOutputs() throws {
    let bundle = try ShippedBundles.default.get()
    let out = try TemporaryDirectory()
    let writer = OutputWriter(directory: out.url.path, selection: OutputSelection(overlay: false, lungMask: false, relevance: false))
    let sample = PhantomFiles.frontalSamples[0]
    var first: [ScreenedFile] = []
    Screener(bundle: bundle, writer: writer).screen([sample, sample]) { first.append($0) }
    #expect(first[0].report?.verdict == .screened)
    #expect(first[1].report == nil && first[1].problem?.code == "output_exists")
    let reportPath = out.path(first[0].names.report)
    let written = try Data(contentsOf: URL(fileURLWithPath: reportPath))
    #expect(try Report.read(reportPath) == first[0].report, "the report returned is the report written")

    var again: [ScreenedFile] = []
    Screener(bundle: bundle, writer: writer).screen([sample]) { again.append($0) }
    #expect(again[0].problem?.code == "output_exists")
    #expect(try Data(contentsOf: URL(fileURLWithPath: reportPath)) == written)

    var forced: [ScreenedFile] = []
    Screener(bundle: bundle, writer: writer, overwrite: true).screen([sample]) { forced.append($0) }
    #expect(forced[0].report?.verdict == .screened)
    #expect(try Report.read(reportPath).input.sha256 == first[0].report?.input.sha256)

    // An input is never an output, even with overwrite: the image saved under its own report's name.
    let input = try Data(contentsOf: URL(fileURLWithPath: sample))
    try FileManager.default.removeItem(atPath: reportPath)
    try input.write(to: URL(fileURLWithPath: reportPath))
    var onItself: [ScreenedFile] = []
    Screener(bundle: bundle, writer: writer, overwrite: true).screen([reportPath]) { onItself.append($0) }
    #expect(onItself[0].report == nil && onItself[0].problem?.code == "output_exists")
    #expect(onItself[0].problem?.detail.contains("is an input of this run") == true)
    #expect(try Data(contentsOf: URL(fileURLWithPath: reportPath)) == input)
  }

  @Test("an image whose network output is not finite fails alone with non_finite_model_output; the rest of its batch is screened as alone")
  func failingImageIsolated() throws {
    let bundle = try ShippedBundles.default.get()
    let pipeline = Pipeline(models: bundle.models, options: PipelineOptions(batchSize: 8))
    let images = PhantomFiles.frontalSamples.prefix(3).map { pipeline.prepare($0).prepared! }
    // A NaN in the classifier's input makes its probabilities and heatmap NaN.
    let good = images[1].classifierInput
    var values = good.values
    values[values.count / 2] = .nan
    let poisoned = PreparedImage(
      file: images[1].file, metadata: images[1].metadata, warnings: [], view: images[1].view, viewWindow: images[1].viewWindow,
      classifierInput: ModelInput(width: good.width, height: good.height, values: values, geometry: good.geometry, window: good.window),
      segmenterInput: images[1].segmenterInput, intakeSeconds: 0)
    let results = pipeline.run([images[0], poisoned, images[2]])
    guard case .failed(let problem) = results[1].outcome else {
      Issue.record("the poisoned image was not refused")
      return
    }
    #expect(problem.code == "non_finite_model_output")
    for index in [0, 2] {
      guard case .analysed(let inBatch) = results[index].outcome, case .analysed(let alone) = pipeline.run([images[index]])[0].outcome else {
        Issue.record("image \(index) was not analysed")
        continue
      }
      #expect(zip(inBatch.classification.probabilities, alone.classification.probabilities).allSatisfy { Swift.abs($0 - $1) <= 1e-5 })
    }
  }

  @Test("output names: a SOP Instance UID only when it is a UID")
  func names() {
    for uid in ["1.2.3", "2.25.1", String(repeating: "1", count: 64)] { #expect(OutputNames.isUID(uid), "\(uid)") }
    for uid in ["", ".", "..", "../../x", "1..2", "1.2.", ".1", "1.2a", "1/2", String(repeating: "1", count: 65), "1 2"] {
      #expect(!OutputNames.isUID(uid), "\(uid)")
    }
  }
}

@Suite("Background-removal measurements")
struct BackgroundRemovalTests {
  @Test("the drop is the original class's lost probability; the switch margin is how far another class wins, positive exactly when the prediction changed")
  func measurements() {
    let original = Classification(probabilities: [0.40, 0.35, 0.25])
    let flip = BackgroundRemoval(original: original, probabilities: [0.36, 0.38, 0.26])
    #expect(flip.predictionChanged && flip.classification.predicted == 1)
    #expect(Swift.abs(flip.confidenceDrop - 0.04) < 1e-12 && Swift.abs(flip.switchMargin - 0.02) < 1e-12)
    let kept = BackgroundRemoval(original: original, probabilities: [0.70, 0.20, 0.10])
    #expect(!kept.predictionChanged && Swift.abs(kept.switchMargin + 0.5) < 1e-12 && Swift.abs(kept.confidenceDrop + 0.3) < 1e-12)
  }
}
