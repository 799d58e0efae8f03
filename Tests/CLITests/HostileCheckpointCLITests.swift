import Engine
import Foundation
import Imaging
import Testing
import TestSupport

/// `explain` and `segment` given the hostile checkpoints of `../shared/reproducers/checkpoints/`, made
/// here from valid ones: each ends with status 1 and a message naming the field, at once, never a signal.
@Suite("isnetd with hostile checkpoints")
struct HostileCheckpointCLITests {
  /// Sets `value` at the JSON path `path` of the sidecar `file`.
  static func edit(_ file: String, _ path: [String], _ value: Any) throws {
    let url = URL(fileURLWithPath: file)
    let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    func set(_ object: [String: Any], _ path: ArraySlice<String>) -> [String: Any] {
      var object = object
      object[path.first!] = path.count == 1 ? value : set(object[path.first!] as? [String: Any] ?? [:], path.dropFirst())
      return object
    }
    try JSONSerialization.data(withJSONObject: set(root, path[...])).write(to: url)
  }

  static func chestDICOM(in directory: TemporaryDirectory) throws -> String {
    let dicom = directory.path("image.dcm")
    try DICOMFixtures.writeMonochrome16(to: dicom, rows: 40, columns: 48, values: (0..<(40 * 48)).map { UInt16($0 * 13 % 4096) },
                                        bitsStored: 12, extraAttributes: DICOMFixtures.chestRadiographAttributes)
    return dicom
  }

  /// Runs isnetd, which must fail with status 1 within 5 s; returns what it printed.
  static func refusal(_ arguments: [String]) throws -> String {
    let start = Date()
    let failure = #expect(throws: Command.Failure.self) { try Command.run(isnetdExecutable, arguments) }
    #expect(Date().timeIntervalSince(start) < 5)
    #expect(failure?.status == 1)
    return failure?.output ?? ""
  }

  @Test("explain with a hostile classifier sidecar exits 1 naming the field",
        arguments: [
          (["classNames"], ["normal"] as any Sendable, "classNames: names 1 classes, the architecture has 2"),
          (["input", "preprocessing", "width"], 0, "input.preprocessing.width: is 0, not in 1...2048"),
          (["input", "preprocessing", "width"], 100_000, "input.preprocessing.width: is 100000"),
          (["input", "preprocessing", "width"], 1 << 40, "input.preprocessing.width: is 1099511627776"),
          (["architecture", "parameters", "blockLayers"], [1_000_000], "architecture.parameters.blockLayers: gives block 1 1000000 layers"),
          (["architecture", "parameters", "bottleneckWidth"], 1_000_000, "architecture.parameters.bottleneckWidth: is 1000000"),
          (["architecture", "parameters", "bottleneckWidth"], 1 << 62, "architecture.parameters.bottleneckWidth: is 4611686018427387904"),
          (["weightsFingerprint"], "", "weightsFingerprint: is \"\""),
          (["formatVersion"], -1, "formatVersion: is -1"),
        ] as [([String], any Sendable, String)])
  func explainRefuses(_ path: [String], _ value: any Sendable, _ message: String) throws {
    let directory = try TemporaryDirectory()
    let configuration = DenseNetConfiguration(growthRate: 4, blockLayers: [2], initialFeatures: 8, classCount: 2, inputChannels: 1)
    let model = directory.path("model")
    try Checkpoint(path: model).save(DenseNet(configuration), metadata: CheckpointMetadata(
      modelVersion: "hostile", producer: "HostileCheckpointCLITests", architecture: .denseNet(configuration),
      classNames: ["normal", "pneumonia"], input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 32, height: 32))))
    try Self.edit("\(model).json", path, value)
    let output = try Self.refusal(["explain", "--model", model, "--input", Self.chestDICOM(in: directory),
                                   "--out", directory.path("x.safetensors")])
    #expect(output.contains(message), "\(output)")
    #expect(!FileManager.default.fileExists(atPath: directory.path("x.safetensors")))
  }

  @Test("segment with a U-Net sidecar of input width 0 exits 1 naming the field")
  func segmentRefuses() throws {
    let directory = try TemporaryDirectory()
    let configuration = UNetConfiguration(depth: 2, baseWidth: 4)
    let model = directory.path("lungs")
    try Checkpoint(path: model).save(UNet(configuration), metadata: CheckpointMetadata(
      modelVersion: "hostile-unet", producer: "HostileCheckpointCLITests", architecture: .uNet(configuration),
      classNames: ["background", "lungs"], input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 16, height: 16))))
    try Self.edit("\(model).json", ["input", "preprocessing", "width"], 0)
    let output = try Self.refusal(["segment", "--model", model, Self.chestDICOM(in: directory), "--out", directory.path("masks")])
    #expect(output.contains("input.preprocessing.width: is 0, not in 1...2048"), "\(output)")
  }
}
