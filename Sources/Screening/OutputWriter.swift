import Crypto
import Durable
import Foundation
import Imaging
import PNG
import Safetensors

/// Which files besides the JSON report are written for each input.
public struct OutputSelection: Sendable, Equatable {
  /// `<name>.overlay.png`: the picture with heatmap, lung outline and legend.
  public var overlay: Bool
  /// `<name>.mask.png`: the lung mask at the image's own geometry (255 = lungs).
  public var lungMask: Bool
  /// `<name>.relevance.safetensors`: the raw heatmap and the background-check mask at the model's size.
  public var relevance: Bool
  /// `<name>.sr.dcm` and `<name>.sc.dcm`: a Comprehensive SR and a Secondary Capture in the original study.
  public var dicom: Bool

  public init(overlay: Bool = true, lungMask: Bool = true, relevance: Bool = true, dicom: Bool = false) {
    self.overlay = overlay
    self.lungMask = lungMask
    self.relevance = relevance
    self.dicom = dicom
  }
}

/// The output file names of one input. The stem is the SOP Instance UID once it is checked to be a
/// UID (digits and dots, at most 64 characters), else `sha256-` and the start of the file's hash, so
/// no name from a file can reach outside the output folder.
public struct OutputNames: Sendable, Equatable {
  public let stem: String

  public init(stem: String) {
    self.stem = stem
  }

  /// The names of `result`'s outputs.
  public init(for file: InputFile, sopInstanceUID: String?) {
    if let uid = sopInstanceUID, Self.isUID(uid) {
      stem = uid
    } else if let hash = file.sha256 {
      stem = "sha256-\(hash.prefix(16))"
    } else {
      // Nothing could be read: name the report after the path it was given.
      stem = "path-sha256-\(SHA256.hash(data: Data(file.path.utf8)).hexadecimal.prefix(16))"
    }
  }

  /// Whether `text` is a DICOM UID: 1 to 64 characters, components of digits separated by single dots.
  public static func isUID(_ text: String) -> Bool {
    guard (1...64).contains(text.utf8.count) else { return false }
    return text.split(separator: ".", omittingEmptySubsequences: false)
      .allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } }
  }

  public var report: String { "\(stem).json" }
  public var overlay: String { "\(stem).overlay.png" }
  public var lungMask: String { "\(stem).mask.png" }
  public var relevance: String { "\(stem).relevance.safetensors" }
  public var dicomSR: String { "\(stem).sr.dcm" }
  public var dicomSC: String { "\(stem).sc.dcm" }

  /// Every name an input can produce, the report last.
  public var all: [String] { [overlay, lungMask, relevance, dicomSR, dicomSC, report] }
}

/// Writes each input's outputs into one folder, every file atomically (temporary name, fsync, rename),
/// the JSON report last so a consumer watching the folder sees it only once the rest is there.
public struct OutputWriter {
  public let directory: String
  public var selection: OutputSelection
  public var overlay: OverlayRenderer
  /// Whether a file that failed gets a report with its error (`isnetd classify`); the daemon
  /// quarantines such files with a sidecar instead, so its outbox holds results only.
  public var writesErrorReports: Bool

  public init(directory: String, selection: OutputSelection = OutputSelection(), overlay: OverlayRenderer = OverlayRenderer(),
              writesErrorReports: Bool = true) {
    self.directory = directory
    self.selection = selection
    self.overlay = overlay
    self.writesErrorReports = writesErrorReports
  }

  /// The paths of `names`' outputs that exist already in the folder.
  public func existing(_ names: OutputNames) -> [String] {
    names.all.map(path).filter { FileManager.default.fileExists(atPath: $0) }
  }

  public func path(_ name: String) -> String { URL(fileURLWithPath: directory).appendingPathComponent(name).path }

  /// Writes the outputs of `result` and its `report`; returns the report as written (its outputs and
  /// render and write times filled in).
  public func write(_ result: ScreeningResult, report: Report, names: OutputNames) throws -> Report {
    if report.verdict == .error, !writesErrorReports { return report }
    let clock = ContinuousClock()
    var result = result
    var report = report
    let batchSize = report.timing.batchSize
    var outputs = Report.Outputs(report: names.report)
    var files: [(name: String, bytes: Data)] = []
    if case .analysed(let analysis) = result.outcome, let image = result.image {
      var start = clock.now
      let picture = selection.overlay || selection.dicom ? overlay.render(image: image, analysis: analysis, report: report) : nil
      if selection.overlay, let picture {
        let png = try PNGImage(width: picture.width, height: picture.height, format: .rgb, pixels: picture.pixels)
        files.append((names.overlay, Data(try png.encoded(fast: true))))
        outputs.overlay = names.overlay
      }
      if selection.lungMask {
        let mask = analysis.segmentation.mask
        files.append((names.lungMask, Data(try PNGImage(width: mask.width, height: mask.height, format: .gray, pixels: mask.bytes).encoded(fast: true))))
        outputs.lungMask = names.lungMask
      }
      if selection.relevance {
        files.append((names.relevance, try relevanceFile(analysis, image: image, report: report)))
        outputs.relevance = names.relevance
      }
      if selection.dicom, let picture, let metadata = result.metadata {
        let results = DICOMResults(report: report, metadata: metadata, sourcePath: result.file.path)
        files.append((names.dicomSR, try results.structuredReport()))
        files.append((names.dicomSC, try results.secondaryCapture(picture)))
        (outputs.dicomSr, outputs.dicomSc) = (names.dicomSR, names.dicomSC)
      }
      result.timing.render = seconds(since: start, clock)
      start = clock.now
      for file in files { try AtomicFile.write(file.bytes, to: path(file.name)) }
      result.timing.write = seconds(since: start, clock)
    }
    // The report's own write is the one thing its timing cannot include.
    report.outputs = outputs
    report.timing = Report.Timing(result.timing, batchSize: batchSize)
    try AtomicFile.write(try report.encoded(), to: path(names.report))
    return report
  }

  /// The raw heatmap [C, H, W] and, when the mask was plausible, the background-check mask [H, W] at
  /// the model's input size, with what produced them: enough to recompute the background share.
  func relevanceFile(_ analysis: Analysis, image: PreparedImage, report: Report) throws -> Data {
    let map = analysis.relevance
    let geometry = image.classifierInput.geometry
    var file = SafetensorsFile(metadata: [
      "format": "isnetd-relevance",
      "modelVersion": report.model.version,
      "explainedClass": report.classification?.prediction ?? "",
      "rule": "LRP-Flex: LRP-epsilon at every ReLU, z^B first layer [0,1], LRP-0 last layer",
      "content": "\(geometry.contentX),\(geometry.contentY),\(geometry.contentWidth),\(geometry.contentHeight)",
      "backgroundShare": report.shortcutChecks.map { "\($0.backgroundRelevance.share)" } ?? "",
      "notice": "not for clinical use",
    ])
    file["relevance"] = try SafetensorsTensor(map.values, shape: [map.channels, map.height, map.width])
    if let mask = analysis.backgroundCheckMask {
      file["background_check_mask"] = try SafetensorsTensor(mask, shape: [map.height, map.width])
    }
    return try file.serialized()
  }
}

extension Sequence<UInt8> {
  /// Lower-case hexadecimal digits.
  var hexadecimal: String {
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    for byte in self {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 15)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}
