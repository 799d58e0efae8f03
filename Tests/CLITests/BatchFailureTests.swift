import Foundation
import Testing
import TestSupport

/// One bad file never stops a batch: `inspect`, `segment` and `classify` given [good, bad, good] report
/// the bad file, process both good ones, and exit with status 1.
@Suite("isnetd goes on past a bad file", .serialized)
struct BatchFailureTests {
  static let samples = Repository.root.appendingPathComponent("samples").path
  static let bundle = Repository.root.appendingPathComponent("models/default.isnetd-model").path

  /// Two good chest radiographs around a bad file: a text file named .dcm, or a DICOM cut short.
  static func batch(in directory: TemporaryDirectory, bad: String) throws -> [String] {
    let path = directory.path("bad.dcm")
    switch bad {
    case "not-dicom": try Data("this is not a DICOM file\n".utf8).write(to: URL(fileURLWithPath: path))
    default:
      let source = try Data(contentsOf: URL(fileURLWithPath: "\(samples)/normal-pa.dcm"))
      try source.prefix(source.count / 3).write(to: URL(fileURLWithPath: path))
    }
    return ["\(samples)/normal-pa.dcm", path, "\(samples)/pneumonia-lobar-pa.dcm"]
  }

  @Test("inspect reports the bad file and inspects the next, with --json and --pixels; exit 1", arguments: ["not-dicom", "truncated"])
  func inspect(_ bad: String) throws {
    let directory = try TemporaryDirectory()
    let files = try Self.batch(in: directory, bad: bad)
    let pixels = directory.path("pixels")
    let (status, output) = try runIsnetd(["inspect", "--json", "--pixels", pixels] + files)
    #expect(status == 1)
    let lines = output.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    #expect(lines.count == 3, "\(output)")
    #expect(lines.map { $0?["error"] == nil } == [true, false, true], "\(output)")
    #expect(FileManager.default.fileExists(atPath: "\(pixels)/normal-pa.dcm.f32"))
    #expect(FileManager.default.fileExists(atPath: "\(pixels)/pneumonia-lobar-pa.dcm.f32"))
    #expect(!FileManager.default.fileExists(atPath: "\(pixels)/bad.dcm.f32"))

    let (textStatus, text) = try runIsnetd(["inspect"] + files)
    #expect(textStatus == 1)
    #expect(text.contains("pneumonia-lobar-pa.dcm\n"), "\(text)")
  }

  @Test("inspect --json goes on past a file whose report cannot be encoded (a NaN window width)")
  func inspectUnencodable() throws {
    let directory = try TemporaryDirectory()
    let nan = directory.path("nan-window.dcm")
    try FileManager.default.copyItem(atPath: "\(Self.samples)/normal-pa.dcm", toPath: nan)
    try Command.run("dcmodify", ["-nb", "-i", "(0028,1050)=100", "-i", "(0028,1051)=nan", nan])
    let files = ["\(Self.samples)/normal-pa.dcm", nan, "\(Self.samples)/pneumonia-lobar-pa.dcm"]
    let (_, output) = try runIsnetd(["inspect", "--json"] + files)
    let lines = output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    // Whether the NaN file is refused, decoded without its window or not encodable, both neighbours are reported.
    #expect(lines.map { $0["file"] as? String } == files, "\(output)")
    #expect(lines[0]["decoded"] != nil && lines[2]["decoded"] != nil)
    #expect(!output.contains("EncodingError"))
  }

  @Test("segment reports the bad file and writes both good masks; exit 1", arguments: ["not-dicom", "truncated"])
  func segment(_ bad: String) throws {
    let directory = try TemporaryDirectory()
    let files = try Self.batch(in: directory, bad: bad)
    let out = directory.path("masks")
    let (status, output) = try runIsnetd(["segment", "--model", "\(Self.bundle)/segmenter", "--json", "--out", out, "--threads", "1"] + files)
    #expect(status == 1)
    let lines = output.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    #expect(lines.count == 3, "\(output)")
    #expect(lines.map { $0?["error"] == nil } == [true, false, true], "\(output)")
    #expect(FileManager.default.fileExists(atPath: "\(out)/normal-pa.mask.png"))
    #expect(FileManager.default.fileExists(atPath: "\(out)/pneumonia-lobar-pa.mask.png"))
    #expect(!FileManager.default.fileExists(atPath: "\(out)/bad.mask.png"))
  }

  @Test("classify reports the bad file and screens both good ones, writing their reports; exit 1", arguments: ["not-dicom", "truncated"])
  func classify(_ bad: String) throws {
    let directory = try TemporaryDirectory()
    let files = try Self.batch(in: directory, bad: bad)
    let out = directory.path("reports")
    let (status, output) = try runIsnetd(["classify", "--model", Self.bundle, "--out", out, "--picture-size", "128", "--threads", "1"] + files)
    #expect(status == 1)
    let lines = output.split(separator: "\n").map(String.init)
    #expect(lines.count == 3, "\(output)")
    #expect(lines[0].contains("normal-pa.dcm") && lines[0].lowercased().contains("shortcut suspected"), "\(output)")
    #expect(lines[1].contains("bad.dcm: error:"), "\(output)")
    #expect(lines[2].contains("pneumonia-lobar-pa.dcm") && lines[2].lowercased().contains("shortcut suspected"), "\(output)")
    let screened = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".json") }
    #expect(screened.count >= 2)
  }
}
