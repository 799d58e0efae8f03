import ArgumentParser
import DICOM
import Durable
import Engine
import Foundation
import Imaging
import PNG
import Screening

/// Writes the lung mask of each DICOM file as a PNG at the file's own geometry and prints its area,
/// quality and plausibility verdict.
struct Segment: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "segment",
    abstract: "Write the lung mask of DICOM files as PNG (original geometry) with area, quality and verdict.",
    discussion: """
      Each FILE's mask is written to OUT/<name>.mask.png (the name without .dcm; lungs 255, background \
      0), the layout labelled data uses, so the masks can be placed beside their images. The mask is \
      cleaned (two largest regions, holes filled) and judged against the segmenter's training masks; \
      an implausible mask is written too and reported with its reasons (no_lungs, one_lung, \
      area_below_training_range, area_above_training_range, lungs_not_side_by_side, fragmented, \
      low_confidence; docs/segmentation.md). --background-check also writes the mask grown by the \
      margin, as the background check uses it, to OUT/<name>.background-check.png. A mask that exists \
      already (a ground-truth mask beside its image, say) is never replaced without --force, and an \
      input or the model never. A file that fails is reported and the next one segmented; the exit \
      status is 1 when any failed. Not for clinical use.
      """)

  @Option(help: "Segmenter checkpoint (the .safetensors file, its .json sidecar, or their common stem).")
  var model: String
  @Argument(help: "DICOM files.")
  var files: [String]
  @Option(help: "Output folder (created when missing).")
  var out: String
  @Option(help: "Background-check margin as a fraction of the image's longer side.")
  var margin = LungSegmenter.Options().dilationMargin
  @Flag(help: "Also write the mask grown by the margin (<name>.background-check.png).")
  var backgroundCheck = false
  @Flag(help: "Print one JSON object per file (JSON Lines).")
  var json = false
  @Flag(help: "Replace masks that exist already (never an input or the model).")
  var force = false
  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("Name at least one DICOM file.") }
    guard margin >= 0, margin.isFinite else { throw ValidationError("--margin must not be negative") }
    let stems = files.map(Self.stem)
    guard Set(stems).count == stems.count else { throw ValidationError("the files need distinct names (their masks share OUT)") }
  }

  func run() throws {
    runtime.apply()
    try OutputFolder.prepare(out)
    // Every output is checked before the model is loaded: nothing is written when one would destroy data.
    let checkpoint = Checkpoint(path: model)
    let outputs = OutputGuard(protecting: files + [checkpoint.weightsPath, checkpoint.metadataPath], force: force)
    let folder = URL(fileURLWithPath: out)
    let maskPaths = try outputs.check(files.map { folder.appendingPathComponent("\(Self.stem($0)).mask.png").path })
    let checkPaths = try outputs.check(backgroundCheck
      ? files.map { folder.appendingPathComponent("\(Self.stem($0)).background-check.png").path } : [])
    let segmenter = try LungSegmenter(checkpoint: model, options: LungSegmenter.Options(dilationMargin: margin))
    var failures = 0
    for (index, file) in files.enumerated() {
      let maskPath = maskPaths[index]
      do {
        let segmentation = try segmenter.segment(path: file)
        try Self.writePNG(segmentation.mask, to: maskPath)
        let checkPath = checkPaths.isEmpty ? nil : checkPaths[index]
        if let checkPath { try Self.writePNG(segmentation.backgroundCheckMask(), to: checkPath) }
        print(json ? try Self.jsonLine(SegmentReport(file: file, mask: maskPath, backgroundCheck: checkPath, segmentation))
              : Self.describe(file: file, mask: maskPath, segmentation))
      } catch let error as DICOMError {
        failures += 1
        print(json ? Self.failureLine(SegmentFailure(file: file, error: Problem(error)))
              : "\(file): \(error.code.rawValue): \(error.code.sentence) \(error.message)")
      } catch {
        // Anything else (a network, a write, an encoding) fails this file alone.
        failures += 1
        print(json ? Self.failureLine(SegmentFailure(file: file, failure: String(describing: error)))
              : "\(file): error: \(error)")
      }
    }
    if failures > 0 { throw ExitCode.failure }
  }

  /// The JSON line of a failure; never fails itself.
  static func failureLine(_ failure: SegmentFailure) -> String {
    (try? jsonLine(failure)) ?? "{\"file\":\"unprintable\"}"
  }

  /// The file name without its folder and without ".dcm".
  static func stem(_ file: String) -> String {
    let name = URL(fileURLWithPath: file).lastPathComponent
    return name.hasSuffix(".dcm") ? String(name.dropLast(4)) : name
  }

  static func writePNG(_ mask: BinaryMask, to path: String) throws {
    let png = try PNGImage(width: mask.width, height: mask.height, format: .gray, pixels: mask.bytes)
    try AtomicFile.write(Data(png.encoded()), to: path)
  }

  static func describe(file: String, mask: String, _ segmentation: LungSegmentation) -> String {
    let assessment = segmentation.assessment
    var line = String(format: "%@: lungs %.1f%% of %dx%d (%d px) in %d region%@, quality %.3f, ", file,
                      assessment.areaFraction * 100, segmentation.mask.width, segmentation.mask.height, assessment.lungPixels,
                      assessment.lungAreas.count, assessment.lungAreas.count == 1 ? "" : "s", assessment.quality)
    if assessment.isPlausible {
      line += "plausible"
    } else {
      line += "implausible: " + assessment.reasons.map { "\($0.rawValue) (\($0.sentence))" }.joined(separator: "; ")
    }
    return line + " -> \(mask)"
  }

  static func jsonLine(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}

/// One segmented file, as `segment --json` prints it.
private struct SegmentReport: Encodable {
  struct Reason: Encodable {
    let code: String
    let sentence: String
  }

  let file: String
  let mask: String
  let backgroundCheck: String?
  let width: Int
  let height: Int
  let lungPixels: Int
  let areaFraction: Double
  let lungAreas: [Int]
  let discardedFraction: Double
  let quality: Double
  let dilationRadius: Double
  let plausible: Bool
  let reasons: [Reason]

  init(file: String, mask: String, backgroundCheck: String?, _ segmentation: LungSegmentation) {
    let assessment = segmentation.assessment
    self.file = file
    self.mask = mask
    self.backgroundCheck = backgroundCheck
    width = segmentation.mask.width
    height = segmentation.mask.height
    lungPixels = assessment.lungPixels
    areaFraction = assessment.areaFraction
    lungAreas = assessment.lungAreas
    discardedFraction = assessment.discardedFraction
    quality = assessment.quality
    dilationRadius = segmentation.dilationRadius
    plausible = assessment.isPlausible
    reasons = assessment.reasons.map { Reason(code: $0.rawValue, sentence: $0.sentence) }
  }
}

/// A file that could not be segmented, as `segment --json` prints it: a DICOM problem, or another failure.
struct SegmentFailure: Encodable {
  let file: String
  var error: Problem?
  var failure: String?

  init(file: String, error: Problem? = nil, failure: String? = nil) {
    self.file = file
    self.error = error
    self.failure = failure
  }
}
