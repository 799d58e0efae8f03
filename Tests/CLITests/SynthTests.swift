import DICOM
import Foundation
import PNG
import Phantoms
import Testing
import TestSupport

@Suite("isnetd synth")
struct SynthTests {
  /// Every regular file under `root`, relative path to contents.
  static func tree(_ root: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: root)!
    while let relative = enumerator.nextObject() as? String {
      var isDirectory: ObjCBool = false
      let path = "\(root)/\(relative)"
      if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
        files[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
      }
    }
    return files
  }

  static let small = ["--counts", "train=6,validation=3,test-biased=3,test-unbiased=3,test-confounding=3", "--size", "64x72",
                      "--compressed-fraction", "0.5", "--monochrome1-fraction", "0.3", "--threads", "2"]

  @Test("writes the labelled layout, masks beside their images, and a manifest describing every file")
  func layoutAndManifest() throws {
    let directory = try TemporaryDirectory()
    let out = directory.path("data")
    let output = try Command.run(isnetdExecutable, ["synth", "--out", out, "--seed", "3"] + Self.small)
    #expect(output.contains("18/18 images"))
    #expect(output.contains("test-confounding: 3 images, 3 with a marker, 0.0 %"))
    let manifest = try DatasetManifest.decode(Data(contentsOf: URL(fileURLWithPath: "\(out)/manifest.json")))
    #expect(manifest.format == "isnetd-synthetic-dataset")
    #expect(manifest.notice.contains("not patient data"))
    #expect(manifest.configuration?.seed == 3)
    #expect(manifest.files.count == 18)
    let files = try Self.tree(out)
    #expect(files.count == 18 * 2 + 1)
    for entry in manifest.files {
      #expect(entry.path.hasPrefix("\(entry.split!.rawValue)/\(entry.condition.rawValue)/"))
      #expect(files[entry.path] != nil && files[entry.mask!] != nil)
      #expect(entry.rows == 72 && entry.columns == 64)
      switch entry.split! {
      case .testUnbiased: #expect(entry.marker == nil)
      case .testConfounding: #expect(entry.marker != nil && entry.markerMatchesClass == false)
      default: break
      }
      // The manifest's seed and fields render the same image again.
      let phantom = PhantomRenderer.render(entry.spec)
      let decoded = try DICOMImage(contentsOf: "\(out)/\(entry.path)")
      #expect(decoded.image == phantom.modalityImage)
      #expect(decoded.metadata.transferSyntax.uid == entry.transferSyntaxUID)
      #expect(decoded.metadata.photometricInterpretation == entry.photometricInterpretation.rawValue)
      #expect(decoded.metadata.sopInstanceUID == entry.sopInstanceUID)
      let mask = try PNGImage(decoding: Array(files[entry.mask!]!))
      #expect(mask.pixels.map { $0 > 127 ? UInt8(1) : 0 } == phantom.lungMask)
    }
    #expect(Set(manifest.files.map(\.transferSyntax)).count > 1)
    let json = String(decoding: files["manifest.json"]!, as: UTF8.self)
    #expect(json.contains("\"marker\" : null"))
    #expect(json.contains("\"class\" : \"covid-19\""))
  }

  @Test("the same options give the same bytes; another seed gives other images")
  func deterministic() throws {
    let directory = try TemporaryDirectory()
    for name in ["a", "b"] {
      try Command.run(isnetdExecutable, ["synth", "--out", directory.path(name), "--seed", "5", "--threads", name == "a" ? "1" : "2"]
        + Self.small.dropLast(2))
    }
    try Command.run(isnetdExecutable, ["synth", "--out", directory.path("c"), "--seed", "6"] + Self.small)
    let a = try Self.tree(directory.path("a"))
    let b = try Self.tree(directory.path("b"))
    let c = try Self.tree(directory.path("c"))
    #expect(a.count == 37)
    #expect(a == b)
    let images = a.keys.filter { $0.hasSuffix(".dcm") }
    #expect(images.allSatisfy { c[$0] == nil || c[$0] != a[$0] })
    #expect(images.filter { c[$0] != nil }.count > 0)
  }

  @Test("every file reads with dcmdump without errors")
  func dcmdump() throws {
    let directory = try TemporaryDirectory()
    let out = directory.path("data")
    try Command.run(isnetdExecutable, ["synth", "--out", out, "--seed", "8", "--count", "20", "--size", "48",
                                       "--compressed-fraction", "0.6", "--monochrome1-fraction", "0.4"])
    for path in try Self.tree(out).keys where path.hasSuffix(".dcm") {
      let output = try Command.run("dcmdump", ["-dc", "+E", "\(out)/\(path)"])
      #expect(!output.contains("E: ") && !output.contains("W: "), "\(path)")
    }
  }

  @Test("isnetd train reads the dataset as it is written")
  func trainsOnIt() throws {
    let directory = try TemporaryDirectory()
    let out = directory.path("data")
    try Command.run(isnetdExecutable, ["synth", "--out", out, "--seed", "4", "--counts", "train=6,validation=3", "--size", "48"])
    let output = try Command.run(isnetdExecutable, [
      "train", "--data", out, "--out", directory.path("model"), "--size", "48", "--epochs", "1", "--batch-size", "3",
      "--tune-cut-epochs", "0", "--threads", "1",
    ])
    #expect(output.contains("loading train: 6/6"))
    #expect(output.contains("loading validation: 3/3"))
    #expect(FileManager.default.fileExists(atPath: directory.path("model.safetensors")))
  }

  @Test("refuses a non-empty folder unless --force, which removes only what a previous synth wrote (nothing without a manifest)")
  func force() throws {
    let directory = try TemporaryDirectory()
    let out = directory.path("data")
    try FileManager.default.createDirectory(atPath: "\(out)/train/old", withIntermediateDirectories: true)
    try Data("keep".utf8).write(to: URL(fileURLWithPath: "\(out)/notes.txt"))
    let error = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["synth", "--out", out, "--count", "10", "--size", "48"])
    }
    #expect(error?.output.contains("is not empty; pass --force") == true)
    try Command.run(isnetdExecutable, ["synth", "--out", out, "--count", "10", "--size", "48", "--force"])
    #expect(FileManager.default.fileExists(atPath: "\(out)/train/old"))  // a user's folder, not synth's
    #expect(FileManager.default.fileExists(atPath: "\(out)/notes.txt"))
    #expect(FileManager.default.fileExists(atPath: "\(out)/manifest.json"))
  }

  @Test("rejects bad options")
  func validation() {
    for arguments in [["--count", "10"], ["--out", "x", "--samples", "y"], ["--out", "x", "--bias-strength", "1.5"],
                      ["--out", "x", "--classes", "normal"], ["--out", "x", "--size", "10"],
                      ["--out", "x", "--counts", "train=4,holdout=2"], ["--out", "x", "--marker-kinds", "arrow"]] {
      #expect(throws: Command.Failure.self, "\(arguments)") { try Command.run(isnetdExecutable, ["synth"] + arguments) }
    }
  }

  @Test("--samples writes the fixed samples: each class, MONOCHROME1, compressed, lateral, truncated")
  func samples() throws {
    let directory = try TemporaryDirectory()
    let out = directory.path("samples")
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    try Data("# Samples\n".utf8).write(to: URL(fileURLWithPath: "\(out)/README.md"))
    try Command.run(isnetdExecutable, ["synth", "--samples", out, "--force"])
    #expect(FileManager.default.fileExists(atPath: "\(out)/README.md"))
    let manifest = try DatasetManifest.decode(Data(contentsOf: URL(fileURLWithPath: "\(out)/manifest.json")))
    #expect(manifest.format == "isnetd-samples")
    #expect(Set(manifest.files.map(\.condition)) == Set(PhantomClass.allCases))
    #expect(manifest.files.contains { $0.photometricInterpretation == .monochrome1 })
    #expect(manifest.files.contains { $0.transferSyntax == .jpegLossless })
    #expect(manifest.files.contains { $0.transferSyntax == .rle })
    var codes: [String: DICOMError.Code] = [:]
    for entry in manifest.files {
      do throws(DICOMError) {
        let image = try DICOMImage(contentsOf: "\(out)/\(entry.path)")
        try AcceptanceRules().check(image.metadata)
        #expect(image.image == PhantomRenderer.render(entry.spec).modalityImage)
      } catch {
        codes[entry.path] = error.code
      }
    }
    #expect(codes == ["normal-lateral.dcm": .viewNotScreened, "broken-truncated.dcm": .truncated])
    let total = try Self.tree(out).values.reduce(0) { $0 + $1.count }
    #expect(total < 6_000_000)
  }
}
