import Engine
import Foundation
import Imaging
import Safetensors
import Testing
import TestSupport
import Torch

@Suite("isnetd explain")
struct ExplainTests {
  /// A tiny two-class checkpoint at 32x32, one channel.
  func makeCheckpoint(in directory: TemporaryDirectory) throws -> (DenseNet, String) {
    Torch.seed(3)
    let configuration = DenseNetConfiguration(growthRate: 4, blockLayers: [2], initialFeatures: 8, classCount: 2, inputChannels: 1)
    let model = try DenseNet(configuration)
    let path = directory.path("model")
    try Checkpoint(path: path).save(model, metadata: CheckpointMetadata(
      modelVersion: "explain-test", producer: "ExplainTests", architecture: .denseNet(configuration),
      classNames: ["normal", "pneumonia"], input: InputDescription(channels: 1, preprocessing: Preprocessing(width: 32, height: 32))))
    return (model, path)
  }

  @Test("a raw float32 input gives the model's logits and the LRP-Flex heatmap of the requested class")
  func rawInput() throws {
    let directory = try TemporaryDirectory()
    let (model, checkpoint) = try makeCheckpoint(in: directory)
    let values = (0..<(32 * 32)).map { Float(($0 * 37) % 101) / 100 }
    let inputPath = directory.path("input.f32")
    try Data(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }).write(to: URL(fileURLWithPath: inputPath))
    let out = directory.path("explained.safetensors")
    let printed = try Command.run(isnetdExecutable, ["explain", "--model", checkpoint, "--input", inputPath, "--class", "pneumonia",
                                                     "--out", out, "--threads", "1"])
    #expect(printed.contains("explained pneumonia"))

    let file = try SafetensorsFile(path: out)
    #expect(file.metadata["explainedClass"] == "pneumonia")
    #expect(file.metadata["modelVersion"] == "explain-test")
    let input = try Tensor(values, shape: [1, 1, 32, 32])
    let expected = try LRPFlex().heatmaps(of: model, input: input, explaining: .classes([1]))
    let logits = try file.tensor(named: "logits").floats()
    let heatmap = try file.tensor(named: "heatmap")
    #expect(heatmap.shape == [1, 1, 32, 32])
    for (value, reference) in zip(logits, try expected.logits.floats()) { #expect(Swift.abs(value - reference) < 1e-5) }
    let reference = try expected.maps.floats()
    let scale = reference.map(Swift.abs).max()!
    #expect(zip(try heatmap.floats(), reference).map { Swift.abs($0 - $1) }.max()! <= 1e-4 * scale)
  }

  @Test("a DICOM input is decoded and preprocessed; an unknown class is refused with the model's classes")
  func dicomInput() throws {
    let directory = try TemporaryDirectory()
    let (_, checkpoint) = try makeCheckpoint(in: directory)
    let dicom = directory.path("image.dcm")
    let values = (0..<(40 * 48)).map { UInt16($0 * 13 % 4096) }
    try DICOMFixtures.writeMonochrome16(to: dicom, rows: 40, columns: 48, values: values, bitsStored: 12,
                                        extraAttributes: DICOMFixtures.chestRadiographAttributes)
    let out = directory.path("explained.safetensors")
    try Command.run(isnetdExecutable, ["explain", "--model", checkpoint, "--input", dicom, "--out", out, "--threads", "1"])
    let file = try SafetensorsFile(path: out)
    let input = try file.tensor(named: "input").floats()
    #expect(input.count == 32 * 32)
    #expect(input.allSatisfy { (0...1).contains($0) })
    #expect(file.metadata["notice"] == "not for clinical use")
    #expect(file.metadata["sourceSize"] == "48x40")
    #expect(file.metadata["content"] == "0,2,32,27")

    // The acceptance rules apply: a Secondary Capture is not a radiograph the model reads.
    let secondaryCapture = directory.path("secondary-capture.dcm")
    try DICOMFixtures.writeMonochrome16(to: secondaryCapture, rows: 40, columns: 48, values: values, bitsStored: 12)
    let notWritten = directory.path("not-written.safetensors")
    let refused = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["explain", "--model", checkpoint, "--input", secondaryCapture, "--out", notWritten])
    }
    #expect(refused?.output.contains("modality_not_screened") == true)

    let error = #expect(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["explain", "--model", checkpoint, "--input", dicom, "--class", "covid", "--out", notWritten])
    }
    #expect(error?.output.contains("its classes: normal, pneumonia") == true)
    #expect(!FileManager.default.fileExists(atPath: notWritten))
  }
}
