import Engine
import Foundation
import Imaging
import Testing
import TestSupport

/// The six ways the fuzzing run found of destroying a user's data (`../shared/reproducers/README.md`,
/// "Outputs that destroyed data"): each refused command leaves the file's bytes as they were, and
/// --force replaces (atomically) where replacing is allowed at all.
@Suite("isnetd never destroys data with its outputs")
struct OutputSafetyTests {
  static func chestDICOM(_ path: String) throws {
    try DICOMFixtures.writeMonochrome16(to: path, rows: 40, columns: 48, values: DICOMFixtures.chestPhantom(rows: 40, columns: 48, bitsStored: 12),
                                        bitsStored: 12, extraAttributes: DICOMFixtures.chestRadiographAttributes)
  }

  static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

  /// Runs isnetd, which must refuse with status 1 and print `message`.
  static func refused(_ arguments: [String], saying message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let failure = #expect(throws: Command.Failure.self, sourceLocation: sourceLocation) { try Command.run(isnetdExecutable, arguments) }
    #expect(failure?.status == 1, sourceLocation: sourceLocation)
    #expect(failure?.output.contains(message) == true, "\(failure?.output ?? "")", sourceLocation: sourceLocation)
  }

  /// No temporary file of an atomic write is left in `folder`.
  static func noTemporaryFiles(in folder: String) throws -> Bool {
    try FileManager.default.contentsOfDirectory(atPath: folder).allSatisfy { !$0.contains(".tmp-") }
  }

  /// A small untrained checkpoint (its predictions do not matter here): a classifier or a U-Net.
  static func checkpoint(_ stem: String, segmenter: Bool) throws {
    let preprocessing = Preprocessing(width: 32, height: 32)
    if segmenter {
      let configuration = UNetConfiguration(depth: 2, baseWidth: 4)
      try Checkpoint(path: stem).save(UNet(configuration), metadata: CheckpointMetadata(
        modelVersion: "outputs-unet", producer: "OutputSafetyTests", architecture: .uNet(configuration),
        classNames: ["background", "lungs"], input: InputDescription(channels: 1, preprocessing: preprocessing)))
    } else {
      let configuration = DenseNetConfiguration(growthRate: 4, blockLayers: [2], initialFeatures: 8, classCount: 2, inputChannels: 1)
      try Checkpoint(path: stem).save(DenseNet(configuration), metadata: CheckpointMetadata(
        modelVersion: "outputs", producer: "OutputSafetyTests", architecture: .denseNet(configuration),
        classNames: ["normal", "pneumonia"], input: InputDescription(channels: 1, preprocessing: preprocessing)))
    }
  }

  @Test("segment into a labelled class folder keeps its ground-truth masks; --force replaces them")
  func segmentKeepsGroundTruth() throws {
    let directory = try TemporaryDirectory()
    let model = directory.path("lungs")
    try Self.checkpoint(model, segmenter: true)
    let folder = directory.path("normal")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Self.chestDICOM("\(folder)/a.dcm")
    try Self.chestDICOM("\(folder)/b.dcm")
    let truth = Data("ground truth, drawn by hand".utf8)
    try truth.write(to: URL(fileURLWithPath: "\(folder)/b.mask.png"))

    Self.refused(["segment", "--model", model, "\(folder)/a.dcm", "\(folder)/b.dcm", "--out", folder, "--threads", "1"],
                 saying: "b.mask.png exists; pass --force")
    #expect(try Self.bytes("\(folder)/b.mask.png") == truth)
    #expect(!FileManager.default.fileExists(atPath: "\(folder)/a.mask.png"))  // nothing written when one output is refused

    try Command.run(isnetdExecutable, ["segment", "--model", model, "\(folder)/a.dcm", "\(folder)/b.dcm", "--out", folder,
                                       "--force", "--threads", "1"])
    #expect(try Self.bytes("\(folder)/b.mask.png") != truth)
    #expect(try Self.bytes("\(folder)/b.mask.png").starts(with: [0x89, 0x50, 0x4E, 0x47]))
    #expect(try Self.noTemporaryFiles(in: folder))
  }

  @Test("inspect --pixels onto its own input is refused even with --force; an existing output needs --force and is replaced atomically")
  func inspectPixels() throws {
    let directory = try TemporaryDirectory()
    let input = directory.path("x.dcm")
    try Self.chestDICOM(input)
    let original = try Self.bytes(input)
    for force in [[], ["--force"]] {
      Self.refused(["inspect", input, "--pixels", input] + force, saying: "an input or model of this command")
      #expect(try Self.bytes(input) == original)
    }
    // Another spelling of the same file (a symbolic link) is the same file.
    let link = directory.path("link.f32")
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: input)
    Self.refused(["inspect", input, "--pixels", link, "--force"], saying: "an input or model of this command")
    #expect(try Self.bytes(input) == original)

    let pixels = directory.path("x.f32")
    let mine = Data("someone's file".utf8)
    try mine.write(to: URL(fileURLWithPath: pixels))
    Self.refused(["inspect", input, "--pixels", pixels], saying: "x.f32 exists; pass --force")
    #expect(try Self.bytes(pixels) == mine)
    try Command.run(isnetdExecutable, ["inspect", input, "--pixels", pixels, "--force"])
    #expect(try Self.bytes(pixels).count == 40 * 48 * 4)
    #expect(try Self.noTemporaryFiles(in: directory.url.path))
  }

  @Test("explain --out onto its input or its model's weights or sidecar is refused even with --force; an existing output needs --force")
  func explainOutputs() throws {
    let directory = try TemporaryDirectory()
    let model = directory.path("model")
    try Self.checkpoint(model, segmenter: false)
    let input = directory.path("x.dcm")
    try Self.chestDICOM(input)
    let protected = [input, "\(model).safetensors", "\(model).json"]
    let originals = try protected.map(Self.bytes)
    for target in protected {
      for force in [[], ["--force"]] {
        Self.refused(["explain", "--model", model, "--input", input, "--out", target, "--threads", "1"] + force,
                     saying: "an input or model of this command")
      }
    }
    #expect(try protected.map(Self.bytes) == originals)

    let out = directory.path("explained.safetensors")
    let mine = Data("someone's file".utf8)
    try mine.write(to: URL(fileURLWithPath: out))
    Self.refused(["explain", "--model", model, "--input", input, "--out", out, "--threads", "1"], saying: "exists; pass --force")
    #expect(try Self.bytes(out) == mine)
    try Command.run(isnetdExecutable, ["explain", "--model", model, "--input", input, "--out", out, "--force", "--threads", "1"])
    #expect(try Self.bytes(out) != mine)
    #expect(try protected.map(Self.bytes) == originals)
  }

  @Test("train and train-segmenter refuse to replace an existing checkpoint without --force, before loading data")
  func trainKeepsCheckpoint() throws {
    let directory = try TemporaryDirectory()
    let model = directory.path("model")
    try Self.checkpoint(model, segmenter: false)
    let originals = try ["\(model).safetensors", "\(model).json"].map(Self.bytes)
    Self.refused(["train", "--data", directory.path("missing"), "--out", model], saying: "model.safetensors exists; pass --force")
    Self.refused(["train-segmenter", "--data", directory.path("missing"), "--out", model], saying: "model.safetensors exists; pass --force")
    // The segmenter a training reads is never its output, even with --force.
    Self.refused(["train", "--data", directory.path("missing"), "--out", model, "--segmenter", model, "--force"],
                 saying: "an input or model of this command")
    #expect(try ["\(model).safetensors", "\(model).json"].map(Self.bytes) == originals)
    // With --force the check passes and the run goes on to its data.
    Self.refused(["train", "--data", directory.path("missing"), "--out", model, "--force"], saying: "missing")
  }

  static let small = ["--counts", "train=4,validation=2", "--size", "48", "--threads", "2", "--seed", "4"]

  @Test("synth --force removes only the files its manifest lists: a user's file in train/normal/ survives, one in synth's way is refused; with an unreadable manifest nothing is removed")
  func synthForce() throws {
    let directory = try TemporaryDirectory()
    let out = directory.path("data")
    try Command.run(isnetdExecutable, ["synth", "--out", out] + Self.small)
    let mine = Data("a user's note".utf8)
    let note = "\(out)/train/normal/notes.txt"
    try mine.write(to: URL(fileURLWithPath: note))
    let stray = "\(out)/train/normal/train-99.dcm"
    try mine.write(to: URL(fileURLWithPath: stray))

    try Command.run(isnetdExecutable, ["synth", "--out", out, "--force"] + Self.small)
    #expect(try Self.bytes(note) == mine)
    #expect(try Self.bytes(stray) == mine)
    #expect(FileManager.default.fileExists(atPath: "\(out)/manifest.json"))
    for folder in ["train/normal", "train/pneumonia", "validation/normal"] where FileManager.default.fileExists(atPath: "\(out)/\(folder)") {
      #expect(try Self.noTemporaryFiles(in: "\(out)/\(folder)"))
    }

    // A user's file where a larger run would write, not listed in the manifest: refused, nothing removed.
    let bigger = Self.small.map { $0 == "train=4,validation=2" ? "train=8,validation=2" : $0 }
    let scratch = directory.path("scratch")
    try Command.run(isnetdExecutable, ["synth", "--out", scratch] + bigger)
    let manifest = try Self.bytes("\(out)/manifest.json")
    let unlisted = try SynthTests.tree(scratch).keys.filter { $0.hasSuffix(".dcm") }
      .filter { !FileManager.default.fileExists(atPath: "\(out)/\($0)") }.sorted()
    let planned = try #require(unlisted.first)
    let plannedURL = URL(fileURLWithPath: "\(out)/\(planned)")
    try FileManager.default.createDirectory(at: plannedURL.deletingLastPathComponent(), withIntermediateDirectories: true)
    try mine.write(to: plannedURL)
    Self.refusedUsage(["synth", "--out", out, "--force"] + bigger, saying: "was not written by synth")
    #expect(try Self.bytes("\(out)/\(planned)") == mine)
    #expect(try Self.bytes("\(out)/manifest.json") == manifest)

    // An unreadable manifest: --force removes nothing.
    try Data("{".utf8).write(to: URL(fileURLWithPath: "\(out)/manifest.json"))
    let before = try SynthTests.tree(out)
    Self.refusedUsage(["synth", "--out", out, "--force"] + Self.small, saying: "is not a readable synth manifest")
    #expect(try SynthTests.tree(out) == before)
  }

  /// Like ``refused(_:saying:sourceLocation:)`` for a refusal reported as a usage error (any non-zero status).
  static func refusedUsage(_ arguments: [String], saying message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let failure = #expect(throws: Command.Failure.self, sourceLocation: sourceLocation) { try Command.run(isnetdExecutable, arguments) }
    #expect(failure?.output.contains(message) == true, "\(failure?.output ?? "")", sourceLocation: sourceLocation)
  }
}
