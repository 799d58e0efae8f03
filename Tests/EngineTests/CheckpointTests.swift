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
  }

  @Test("names of the DenseNet state follow torchvision's scheme")
  func torchvisionNames() throws {
    let names = try DenseNet(.densenet121(classCount: 1000)).state.map(\.name)
    #expect(names.first == "features.conv0.weight")
    #expect(names.contains("features.denseblock3.denselayer24.conv2.weight"))
    #expect(names.contains("features.transition2.norm.num_batches_tracked"))
    #expect(names.suffix(2) == ["classifier.weight", "classifier.bias"])
  }
}
