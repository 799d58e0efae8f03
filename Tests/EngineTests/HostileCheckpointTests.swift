@testable import Engine
import Foundation
import Imaging
import Safetensors
import Testing
import TestSupport
import Torch

/// Checkpoints as a hostile sender makes them: a valid checkpoint saved here, then one sidecar value or
/// the weights edited (the cases of `../shared/reproducers/checkpoints/` and the ones its README lists
/// without a file). Each must be refused with an error naming the field, before any network is built.
@Suite("Hostile checkpoints")
struct HostileCheckpointTests {
  /// A sidecar edit: the JSON path of the value and its new value.
  struct Edit: CustomTestStringConvertible, Sendable {
    let path: [String]
    let value: any Sendable
    /// The field the error must name.
    let field: String

    init(_ path: String, _ value: any Sendable, field: String? = nil) {
      self.path = path.split(separator: ".").map(String.init)
      self.value = value
      self.field = field ?? path
    }

    var testDescription: String { "\(path.joined(separator: ".")) = \(value)" }
  }

  /// A small valid classifier checkpoint (3 classes, 32 x 32).
  static func classifier(in directory: TemporaryDirectory) throws -> Checkpoint {
    let configuration = DenseNetConfiguration(growthRate: 4, blockLayers: [2, 2], initialFeatures: 8, classCount: 3, inputChannels: 1)
    let checkpoint = Checkpoint(path: directory.path("classifier"))
    try checkpoint.save(DenseNet(configuration), metadata: CheckpointMetadata(
      modelVersion: "hostile-1", producer: "HostileCheckpointTests", architecture: .denseNet(configuration),
      classNames: ["covid-19", "normal", "pneumonia"],
      input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 32, height: 32))))
    return checkpoint
  }

  /// A small valid U-Net checkpoint (16 x 16) with a lung-area range.
  static func segmenter(in directory: TemporaryDirectory) throws -> Checkpoint {
    let configuration = UNetConfiguration(depth: 2, baseWidth: 4)
    let checkpoint = Checkpoint(path: directory.path("segmenter"))
    try checkpoint.save(UNet(configuration), metadata: CheckpointMetadata(
      modelVersion: "hostile-unet", producer: "HostileCheckpointTests", architecture: .uNet(configuration),
      classNames: ["background", "lungs"], input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 16, height: 16)),
      segmentation: SegmentationMetadata(trainingLungArea: LungAreaRange(minimum: 0.1, maximum: 0.4, mean: 0.25, count: 3))))
    return checkpoint
  }

  /// Sets the value at `path` in the sidecar of `checkpoint`.
  static func edit(_ checkpoint: Checkpoint, _ edit: Edit) throws {
    let url = URL(fileURLWithPath: checkpoint.metadataPath)
    let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    func set(_ object: [String: Any], _ path: ArraySlice<String>) -> [String: Any] {
      var object = object
      let key = path.first!
      if path.count == 1 {
        object[key] = edit.value
      } else {
        object[key] = set(object[key] as? [String: Any] ?? [:], path.dropFirst())
      }
      return object
    }
    try JSONSerialization.data(withJSONObject: set(root, edit.path[...])).write(to: url)
  }

  /// The field a refusal names; nil (and a recorded issue) for any other error.
  static func refusedField(_ load: () throws -> Void) -> String? {
    do {
      try load()
      Issue.record("the hostile checkpoint was accepted")
    } catch EngineError.checkpointField(let field, _) {
      return field
    } catch {
      Issue.record("refused with another error: \(error)")
    }
    return nil
  }

  static let classifierEdits: [Edit] = [
    Edit("classNames", ["covid-19", "normal"]),
    Edit("classNames", ["covid-19", "normal", "pneumonia", "tuberculosis"]),
    Edit("classNames", ["normal", "normal", "pneumonia"]),
    Edit("input.preprocessing.width", 0),
    Edit("input.preprocessing.width", 100_000),
    Edit("input.preprocessing.width", 1 << 40),
    Edit("input.preprocessing.height", -5),
    Edit("input.preprocessing.window.lowerPercentile", 99.9, field: "input.preprocessing.window"),
    Edit("input.preprocessing.window.upperPercentile", 150, field: "input.preprocessing.window"),
    Edit("input.preprocessing.window.lowerPercentile", -1, field: "input.preprocessing.window"),
    Edit("input.preprocessing.padValue", 2),
    Edit("input.channels", 3),
    Edit("weightsFingerprint", ""),
    Edit("weightsFingerprint", "fnv1a64:zz"),
    Edit("formatVersion", -1),
    Edit("formatVersion", 0),
    Edit("formatVersion", 3),
    Edit("architecture.parameters.blockLayers", [1_000_000]),
    Edit("architecture.parameters.blockLayers", [2, 1_000_000]),
    Edit("architecture.parameters.blockLayers", [2, 2, 2]),
    Edit("architecture.parameters.bottleneckWidth", 1_000_000),
    Edit("architecture.parameters.bottleneckWidth", 1 << 62),
    Edit("architecture.parameters.growthRate", 1 << 62),
    Edit("architecture.parameters.initialFeatures", 1_000_000),
  ]

  @Test("a classifier sidecar with one bad value is refused with an error naming the field", arguments: classifierEdits)
  func classifierSidecar(_ edit: Edit) throws {
    let directory = try TemporaryDirectory()
    let checkpoint = try Self.classifier(in: directory)
    try Self.edit(checkpoint, edit)
    #expect(Self.refusedField { _ = try checkpoint.loadClassifier() } == edit.field)
  }

  @Test("a class count the weights' output layer does not have is refused, even with as many class names")
  func classCountAgainstWeights() throws {
    let directory = try TemporaryDirectory()
    let checkpoint = try Self.classifier(in: directory)
    try Self.edit(checkpoint, Edit("architecture.parameters.classCount", 4))
    try Self.edit(checkpoint, Edit("classNames", ["a", "b", "c", "d"]))
    #expect(Self.refusedField { _ = try checkpoint.loadClassifier() } == "architecture.parameters.classCount")
  }

  static let segmenterEdits: [Edit] = [
    Edit("input.preprocessing.width", 0),
    Edit("input.preprocessing.height", 1 << 40),
    Edit("segmentation.trainingLungArea.minimum", 0.9, field: "segmentation.trainingLungArea"),
    Edit("segmentation.trainingLungArea.maximum", 1.5, field: "segmentation.trainingLungArea"),
    Edit("architecture.parameters.baseWidth", 1_000_000),
    Edit("architecture.parameters.depth", 100),
    Edit("architecture.parameters.classCount", 3, field: "classNames"),
  ]

  @Test("a segmenter sidecar with one bad value is refused with an error naming the field", arguments: segmenterEdits)
  func segmenterSidecar(_ edit: Edit) throws {
    let directory = try TemporaryDirectory()
    let checkpoint = try Self.segmenter(in: directory)
    try Self.edit(checkpoint, edit)
    #expect(Self.refusedField { _ = try checkpoint.loadSegmenter() } == edit.field)
  }

  @Test("weights holding NaN or infinity are refused naming the tensor, even when the fingerprint matches",
        arguments: [Float.nan, .infinity, -.infinity])
  func nonFiniteWeights(_ value: Float) throws {
    let directory = try TemporaryDirectory()
    let checkpoint = try Self.classifier(in: directory)
    var weights = try SafetensorsFile(path: checkpoint.weightsPath)
    weights["classifier.bias"] = try SafetensorsTensor([0.1, value, 0.2], shape: [3])
    try weights.write(toPath: checkpoint.weightsPath)
    let fingerprint = FNV1a64.digest(of: try Data(contentsOf: URL(fileURLWithPath: checkpoint.weightsPath)))
    try Self.edit(checkpoint, Edit("weightsFingerprint", fingerprint))
    #expect(throws: EngineError.nonFiniteWeights(tensor: "classifier.bias", message: "holds NaN or infinity (\(checkpoint.weightsPath))")) {
      _ = try checkpoint.loadClassifier()
    }
  }

  @Test("the unedited checkpoints load, and a sidecar that is not a regular file is refused without blocking")
  func validAndFIFO() throws {
    let directory = try TemporaryDirectory()
    _ = try Self.classifier(in: directory).loadClassifier()
    _ = try Self.segmenter(in: directory).loadSegmenter()
    let fifo = Checkpoint(path: directory.path("fifo"))
    #expect(mkfifo(fifo.metadataPath, 0o600) == 0)
    let error = #expect(throws: EngineError.checkpointUnreadable("\(fifo.metadataPath) is not a regular file")) { _ = try fifo.metadata() }
    #expect(error?.code == .checkpointUnreadable)
  }

  @Test("a DenseNet or U-Net configuration too large to build is refused by the builder without an overflow trap")
  func builderBounds() {
    #expect(throws: EngineError.self) {
      try DenseNet(DenseNetConfiguration(growthRate: 4, blockLayers: [2], initialFeatures: 8, bottleneckWidth: 1 << 62, classCount: 2))
    }
    #expect(throws: EngineError.self) {
      try DenseNet(DenseNetConfiguration(growthRate: 1 << 62, blockLayers: [2], initialFeatures: 8, classCount: 2))
    }
    #expect(throws: EngineError.self) { try UNet(UNetConfiguration(depth: 2, baseWidth: 1 << 40)) }
  }
}
