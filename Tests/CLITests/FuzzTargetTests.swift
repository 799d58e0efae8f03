import Foundation
import Testing
import TestSupport

/// The libFuzzer targets' replay build (what `swift build` makes of `isnetd-fuzz`): each target writes
/// its seeds with the tests' own generators, and every seed is accepted, so a fuzzing run starts from
/// inputs that reach deep into the reader rather than from files it refuses at the first byte.
@Suite("fuzz targets")
struct FuzzTargetTests {
  static let executable = URL(fileURLWithPath: isnetdExecutable).deletingLastPathComponent()
    .appendingPathComponent("isnetd-fuzz").path

  @Test("every seed of every target is accepted on replay", arguments: ["dicom", "safetensors", "checkpoint", "bundle"])
  func seedsAccepted(target: String) throws {
    let directory = try TemporaryDirectory()
    let environment = ProcessInfo.processInfo.environment.merging(["ISNETD_FUZZ_TARGET": target]) { $1 }
    _ = try Command.run(Self.executable, ["--write-seeds", directory.url.path], environment: environment)
    let seeds = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted().map(directory.path)
    #expect(!seeds.isEmpty)
    let lines = try Command.run(Self.executable, seeds, environment: environment).split(separator: "\n")
    #expect(lines.count == seeds.count)
    for line in lines {
      #expect(line.hasSuffix(": no finding (accepted)"), "\(line)")
    }
  }

  @Test("a replayed hostile input is reported with what refused it")
  func hostileReplay() throws {
    let directory = try TemporaryDirectory()
    let environment = ProcessInfo.processInfo.environment.merging(["ISNETD_FUZZ_TARGET": "dicom"]) { $1 }
    let input = directory.path("not-dicom.dcm")
    try Data("not a DICOM file".utf8).write(to: URL(fileURLWithPath: input))
    let output = try Command.run(Self.executable, [input], environment: environment)
    #expect(output.contains("no finding (refused: not_dicom:"))
  }

  @Test("the checkpoint fuzzer's leak finding, an empty sidecar (4 zero bytes), is refused on replay")
  func emptySidecar() throws {
    let directory = try TemporaryDirectory()
    let environment = ProcessInfo.processInfo.environment.merging(["ISNETD_FUZZ_TARGET": "checkpoint"]) { $1 }
    let input = directory.path("leak-empty-sidecar")
    try Data([0, 0, 0, 0]).write(to: URL(fileURLWithPath: input))
    let output = try Command.run(Self.executable, [input], environment: environment)
    #expect(output.contains("no finding (refused: "), "\(output)")
    #expect(output.contains("is not valid checkpoint metadata"), "\(output)")
  }
}
