import ArgumentParser
import DICOM
import Durable
import Foundation
import Screening

/// Prints what isnetd reads from DICOM files: metadata, the acceptance verdict and the decode outcome,
/// or the error code and its sentence. Never prints patient fields.
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Print the metadata and the decode outcome (or the error code) of DICOM files.",
    discussion: """
      Exits with status 1 when any file cannot be decoded (a file that is decoded but not screened \
      does not count). --json prints one JSON object per file, one per line. --pixels writes the first \
      frame's gray values (modality values in MONOCHROME2 polarity, or luminance) as raw little-endian \
      float32, rows x columns, row-major: to the path OUT for one file, or to OUT/<file name>.f32 for \
      several, atomically. An existing file is replaced only with --force, and an input never. A file \
      that fails is reported and the next one inspected.
      """
  )

  @Argument(help: "DICOM files to inspect.")
  var files: [String]

  @Flag(help: "Print one JSON object per file (JSON Lines).")
  var json = false

  @Option(name: .customLong("pixels"), help: ArgumentHelp("Write the decoded values as float32.", valueName: "OUT"))
  var pixelsOutput: String?

  @Option(help: "Refuse files with more pixels (Rows x Columns x frames) than this.")
  var maximumPixels = DecodeOptions().maximumPixelCount

  @Flag(help: "Replace --pixels files that exist already (never an input).")
  var force = false

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("Name at least one DICOM file.") }
    guard maximumPixels > 0 else { throw ValidationError("--maximum-pixels must be positive.") }
    if pixelsOutput != nil && files.count > 1 {
      let names = files.map { URL(fileURLWithPath: $0).lastPathComponent }
      guard Set(names).count == names.count else {
        throw ValidationError("--pixels with several files needs distinct file names.")
      }
    }
  }

  func run() throws {
    let options = DecodeOptions(maximumPixelCount: maximumPixels)
    let rules = AcceptanceRules()
    // Every --pixels target is checked before anything is read or written.
    let targets = pixelsOutput.map { output in
      files.map { path in
        files.count > 1
          ? URL(fileURLWithPath: output).appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent + ".f32").path
          : output
      }
    }
    if let pixelsOutput, let targets {
      let outputs = OutputGuard(protecting: files, force: force)
      try outputs.check(targets)
      if files.count > 1 { try FileManager.default.createDirectory(atPath: pixelsOutput, withIntermediateDirectories: true) }
    }
    var failures = 0
    for (index, path) in files.enumerated() {
      var report = InspectReport(file: path, rules: rules, options: options)
      do {
        if case .success(let image) = report.outcome, let target = targets?[index] {
          try Self.writeFloat32(image.values, to: target)
          report.pixelsPath = target
        }
        if case .failure = report.outcome { failures += 1 }
        print(json ? try report.jsonLine() : report.text)
      } catch {
        // One file's failure (a write, an encoding) is reported and the batch goes on.
        failures += 1
        print(json ? InspectReport.failureLine(file: path, error) : "\(path)\n  error            \(InspectReport.failureText(error))")
      }
    }
    if failures > 0 { throw ExitCode.failure }
  }

  /// Raw little-endian float32, written atomically.
  static func writeFloat32(_ values: [Float], to path: String) throws {
    var data = Data(capacity: values.count * 4)
    for value in values {
      withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
    }
    try AtomicFile.write(data, to: path)
  }
}

/// What `inspect` found out about one file.
struct InspectReport {
  let file: String
  let metadata: DICOMMetadata?
  let screening: Result<Void, DICOMError>?
  let outcome: Result<DICOMImage, DICOMError>
  var pixelsPath: String?

  init(file: String, rules: AcceptanceRules, options: DecodeOptions) {
    self.file = file
    do {
      let dicom = try DICOMFile(path: file)
      let metadata = try dicom.metadata()
      self.metadata = metadata
      screening = Result { () throws(DICOMError) in try rules.check(metadata) }
      outcome = Result { () throws(DICOMError) in try dicom.decodeFirstFrame(options: options) }
    } catch {
      metadata = nil
      screening = nil
      outcome = .failure(error)
    }
  }

  var text: String {
    var lines = [file]
    func add(_ label: String, _ value: String?) {
      guard let value, !value.isEmpty else { return }
      lines.append("  " + label.padding(toLength: 17, withPad: " ", startingAt: 0) + value)
    }
    if let m = metadata {
      add("SOP class", m.sopClassUID.map { uid in m.sopClassName.map { "\($0) (\(uid))" } ?? uid })
      add("SOP instance", m.sopInstanceUID)
      add("study", m.studyInstanceUID)
      add("series", m.seriesInstanceUID)
      add("accession", m.accessionNumber)
      add("modality", [m.modality, m.bodyPartExamined.map { "body part \($0)" }, m.viewPosition.map { "view \($0)" }]
        .compactMap { $0 }.joined(separator: ", "))
      add("manufacturer", m.manufacturer)
      let syntax = m.transferSyntax
      add("transfer syntax", "\(syntax.name) (\(syntax.uid)), decoder: \(syntax.decoder.rawValue)")
      if let rows = m.rows, let columns = m.columns {
        let bits = [m.bitsStored.map { "\($0)" }, m.bitsAllocated.map { "\($0) bits" }].compactMap { $0 }
          .joined(separator: " of ")
        add("image", "\(columns) x \(rows), \(m.photometricInterpretation ?? "no photometric interpretation"), "
          + "\(bits), \(m.pixelRepresentation == 1 ? "signed" : "unsigned"), \(m.numberOfFrames) frame(s)")
      }
      add("pixel spacing", m.pixelSpacing.map { "\(Self.joined($0)) mm" })
      add("imager spacing", m.imagerPixelSpacing.map { "\(Self.joined($0)) mm" })
    }
    switch screening {
    case .success?: add("screening", "screened")
    case .failure(let error)?: add("screening", "not screened: \(error.code.rawValue): \(error.message)")
    case nil: break
    }
    switch outcome {
    case .success(let image):
      let range = image.extent
      add("decoded", "\(image.columns) x \(image.rows), values \(range.lowerBound) ... \(range.upperBound) "
        + "of \(image.valueRange.lowerBound) ... \(image.valueRange.upperBound)")
      add("modality LUT", Self.describe(image.modalityTransform))
      add("polarity", image.inversionPivot.map { "MONOCHROME1 inverted: value = \($0) - modality value" })
      add("colour", image.convertedColour.map { "\($0) converted to luminance" })
      for window in image.voi.windows {
        add("VOI window", "center \(window.center), width \(window.width)" + (window.explanation.map { " (\($0))" } ?? ""))
      }
      for table in image.voi.lookupTables {
        add("VOI LUT", "\(table.entryCount) entries of \(table.bitsPerEntry) bits from \(table.firstMapped)"
          + (table.explanation.map { " (\($0))" } ?? ""))
      }
      for warning in image.warnings { add("warning", warning) }
      add("pixels", pixelsPath)
    case .failure(let error):
      add("error", "\(error.code.rawValue): \(error.sentence)")
    }
    return lines.joined(separator: "\n")
  }

  func jsonLine() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(JSONReport(self))
    return String(decoding: data, as: UTF8.self)
  }

  /// What went wrong with a file beyond its decoding, in words (Foundation's encoding errors name
  /// Swift types, so they are said plainly).
  static func failureText(_ error: any Error) -> String {
    error is EncodingError ? "a value of the report is not finite (NaN or infinity) and cannot be written as JSON"
      : String(describing: error)
  }

  /// A JSON line for a file whose report could not be written or encoded.
  static func failureLine(file: String, _ error: any Error) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let line = try? encoder.encode(["file": file, "failure": failureText(error)])
    return line.map { String(decoding: $0, as: UTF8.self) } ?? "{\"failure\":\"unprintable\"}"
  }

  static func joined(_ values: [Double]) -> String { values.map { "\($0)" }.joined(separator: "\\") }

  static func describe(_ transform: ModalityTransform) -> String {
    switch transform {
    case .identity: "none"
    case .rescale(let slope, let intercept): "rescale slope \(slope), intercept \(intercept)"
    case .lookupTable(let table):
      "\(table.entries.count) entries of \(table.bitsPerEntry) bits from \(table.firstMapped)"
        + (table.explanation.map { " (\($0))" } ?? "")
    }
  }
}

/// The JSON form of an ``InspectReport``.
private struct JSONReport: Encodable {
  struct Screening: Encodable {
    let screened: Bool
    let reason: Problem?
  }

  struct Decoded: Encodable {
    let rows: Int
    let columns: Int
    let minimum: Float
    let maximum: Float
    let valueRange: [Float]
    let modalityLUT: String
    let inversionPivot: Float?
    let convertedColour: String?
    let voi: VOI
    let warnings: [String]
    let pixels: String?
  }

  let file: String
  let metadata: DICOMMetadata?
  let screening: Screening?
  let decoded: Decoded?
  let error: Problem?

  init(_ report: InspectReport) {
    file = report.file
    metadata = report.metadata
    switch report.screening {
    case .success?: screening = Screening(screened: true, reason: nil)
    case .failure(let error)?: screening = Screening(screened: false, reason: Problem(error))
    case nil: screening = nil
    }
    switch report.outcome {
    case .success(let image):
      let range = image.extent
      decoded = Decoded(
        rows: image.rows, columns: image.columns, minimum: range.lowerBound, maximum: range.upperBound,
        valueRange: [image.valueRange.lowerBound, image.valueRange.upperBound],
        modalityLUT: InspectReport.describe(image.modalityTransform), inversionPivot: image.inversionPivot,
        convertedColour: image.convertedColour, voi: image.voi, warnings: image.warnings, pixels: report.pixelsPath)
      error = nil
    case .failure(let failure):
      decoded = nil
      error = Problem(failure)
    }
  }
}
