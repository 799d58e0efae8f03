@testable import Engine
import Foundation
import Imaging
import Safetensors
import Testing
import TestSupport
import Torch

@Suite("Checkpoints")
struct CheckpointTests {
  let configuration = DenseNetConfiguration(growthRate: 4, blockLayers: [2, 2], initialFeatures: 8, classCount: 3, inputChannels: 1)

  func metadata(_ model: DenseNet) -> CheckpointMetadata {
    CheckpointMetadata(modelVersion: "test-1", producer: "CheckpointTests", architecture: .denseNet(model.configuration),
                       classNames: ["covid-19", "pneumonia", "normal"],
                       input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 32, height: 32)))
  }

  @Test("safetensors round trip is bit-exact for every parameter and buffer, and the model predicts the same")
  func roundTrip() throws {
    Torch.seed(1)
    let model = try DenseNet(configuration)
    // Move the BatchNorm statistics off their initial values so buffers are exercised too.
    _ = try model.forward(Tensor.rand([4, 1, 32, 32]), mode: ForwardMode(training: true))
    let directory = try TemporaryDirectory()
    let checkpoint = Checkpoint(path: directory.path("model"))
    let written = try checkpoint.save(model, metadata: metadata(model))
    #expect(written.weightsFingerprint.hasPrefix("fnv1a64:"))

    let (loaded, readBack) = try checkpoint.loadClassifier()
    #expect(readBack == written)
    for (original, restored) in zip(model.state, loaded.state) {
      #expect(original.name == restored.name)
      #expect(original.tensor.dtype == restored.tensor.dtype)
      #expect(try safetensor(from: original.tensor, name: original.name).bytes == safetensor(from: restored.tensor, name: restored.name).bytes)
    }
    let input = try Tensor.rand([2, 1, 32, 32])
    #expect(try model.logits(input).floats() == loaded.logits(input).floats())
  }

  @Test("a format-1 sidecar without the settings added later loads as those runs trained; at format 2 they are required; new sidecars are format 2")
  func formatVersions() throws {
    let directory = try TemporaryDirectory()
    let model = try DenseNet(configuration)
    var described = metadata(model)
    described.training = TrainingConfiguration(objective: ObjectiveConfiguration(variant: .selective), learningRateSchedule: .cosine(floor: 0.01),
                                               heatmapWeightSchedule: HeatmapWeightSchedule(warmupEpochs: 3), batchNormRecalibrationBatches: 32)
    let checkpoint = Checkpoint(path: directory.path("model"))
    #expect(try checkpoint.save(model, metadata: described).formatVersion == 2)
    #expect(try checkpoint.metadata().training == described.training)

    // The sidecar as the first checkpoints were written: format 1, none of the later settings.
    var sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: checkpoint.metadataPath))) as! [String: Any]
    var training = sidecar["training"] as! [String: Any]
    for key in ["learningRateSchedule", "heatmapWeightSchedule", "batchNormRecalibrationBatches"] { training[key] = nil }
    sidecar["training"] = training
    for version in [1, 2] {
      sidecar["formatVersion"] = version
      try JSONSerialization.data(withJSONObject: sidecar).write(to: URL(fileURLWithPath: checkpoint.metadataPath))
      if version == 1 {
        let old = try #require(try checkpoint.metadata().training)
        #expect(old.learningRateSchedule == .constant)
        #expect(old.heatmapWeightSchedule == HeatmapWeightSchedule())
        #expect(old.batchNormRecalibrationBatches == 0)
        _ = try checkpoint.loadClassifier()
      } else {
        let error = #expect(throws: EngineError.self) { try checkpoint.metadata() }
        #expect(error?.description.contains("learningRateSchedule") == true, "\(String(describing: error))")
      }
    }
  }

  @Test("a weights file of another shape fails with a message naming the tensor and both shapes")
  func wrongShape() throws {
    let directory = try TemporaryDirectory()
    let saved = try DenseNet(configuration)
    try Checkpoint(path: directory.path("model")).save(saved, metadata: metadata(saved))
    var other = configuration
    other.classCount = 4
    let error = #expect(throws: EngineError.self) {
      try Checkpoint(path: directory.path("model")).loadWeights(into: DenseNet(other))
    }
    #expect(error?.description.contains("classifier.weight has shape [3, 16] in the file, the model needs [4, 16]") == true)
  }

  @Test("weights that do not match the sidecar's fingerprint are refused")
  func tampered() throws {
    let directory = try TemporaryDirectory()
    let model = try DenseNet(configuration)
    let checkpoint = Checkpoint(path: directory.path("model.safetensors"))
    try checkpoint.save(model, metadata: metadata(model))
    var bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint.weightsPath))
    bytes[bytes.count - 1] ^= 0xFF
    try bytes.write(to: URL(fileURLWithPath: checkpoint.weightsPath))
    let error = #expect(throws: EngineError.self) { try checkpoint.loadClassifier() }
    #expect(error?.description.contains("does not match its sidecar") == true)
    #expect(error?.code == .checkpointInvalid)
  }

  @Test("DenseNet-121's state matches torchvision's densenet121 state dict entry for entry: names, order, shapes, dtypes")
  func torchvisionStateDict() throws {
    // Generated by torchvision itself: see the first line of the fixture for the command.
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/densenet121-state-dict.txt")
    let expected = try String(contentsOf: fixture, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
      .map { line -> String in line.split(separator: "\t", omittingEmptySubsequences: false).joined(separator: "\t") }
    let state = try DenseNet(.densenet121(classCount: 1000, inputChannels: 3)).state
    let actual = state.map { entry in
      "\(entry.name)\t\(entry.tensor.shape.map(String.init).joined(separator: ","))\t\(entry.tensor.dtype == .int64 ? "int64" : "float32")"
    }
    #expect(actual.count == 727)
    #expect(actual == expected)
  }

  @Test("the sidecar example in docs/engine.md decodes with the checkpoint loader and describes torchvision's DenseNet-121 with one channel and three classes")
  func docsSidecarExample() throws {
    let docs = try String(contentsOf: Repository.root.appendingPathComponent("docs/engine.md"), encoding: .utf8)
    let section = try #require(docs.range(of: "### Converting torchvision weights"))
    let block = try #require(docs[section.upperBound...].range(of: "```json\n"))
    let end = try #require(docs[block.upperBound...].range(of: "```"))
    let metadata = try Checkpoint.decoder.decode(CheckpointMetadata.self, from: Data(docs[block.upperBound..<end.lowerBound].utf8))
    #expect(metadata.architecture == .denseNet(.densenet121(classCount: 3, inputChannels: 1)))
    #expect(metadata.classNames.count == 3 && metadata.input.channels == 1)
    try metadata.validate()

    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/densenet121-state-dict.txt")
    let torchvision = try String(contentsOf: fixture, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
      .map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
    let state = try metadata.architecture.makeClassifier().state
    #expect(state.map(\.name) == torchvision.map { String($0[0]) })
    let changed: [String: [Int]] = ["features.conv0.weight": [64, 1, 7, 7], "classifier.weight": [3, 1024], "classifier.bias": [3]]
    for (entry, line) in zip(state, torchvision) {
      let expected = changed[entry.name] ?? line[1].split(separator: ",").compactMap { Int($0) }
      #expect(entry.tensor.shape == expected, "\(entry.name)")
    }
  }
}
