import ArgumentParser
import Durable
import Engine
import Foundation
import Imaging
import Safetensors
import Screening
import Torch

/// Writes a model's logits and raw LRP-Flex heatmap for one input, for checking against other LRP
/// implementations.
struct Explain: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write the logits and the raw LRP heatmap of one input as safetensors.",
    discussion: """
      The input is a DICOM file, or a preprocessed float32 tensor of the model's input shape: a \
      .safetensors file holding one tensor ([C,H,W] or [1,C,H,W]) or a raw little-endian .f32 file of \
      C x H x W values. The output holds "logits" [1,K], "heatmap" [1,C,H,W] (relevance at the model's \
      input size) and "input" [1,C,H,W]; its metadata names the model version, the explained class and \
      the LRP settings. A DICOM file goes through the screening pipeline's intake: the acceptance rules \
      apply (a lateral view is refused with its code), and the metadata gives the image's size \
      ("sourceSize") and where it lies in the model input ("content": x, y, width, height). An existing \
      OUT is replaced (atomically) only with --force; the input and the model's files never. Not for \
      clinical use.
      """)

  @Option(help: "Model checkpoint (the .safetensors file, its .json sidecar, or their common stem).")
  var model: String
  @Option(help: "DICOM file, .safetensors tensor or raw .f32 tensor.")
  var input: String
  @Option(name: .customLong("class"), help: "Class to explain (default: the predicted class).")
  var className: String?
  @Option(help: "Output .safetensors path.")
  var out: String
  @Flag(help: "Replace OUT when it exists (never the input or the model).")
  var force = false
  @OptionGroup var runtime: RuntimeOptions

  func run() throws {
    runtime.apply()
    let checkpoint = Checkpoint(path: model)
    try OutputGuard(protecting: [input, checkpoint.weightsPath, checkpoint.metadataPath], force: force).check(out)
    let (classifier, metadata) = try checkpoint.loadClassifier()
    let explanation: Explanation
    if let className {
      guard let index = metadata.classNames.firstIndex(of: className) else {
        throw ValidationError("the model has no class \"\(className)\"; its classes: \(metadata.classNames.joined(separator: ", "))")
      }
      explanation = .classes([index])
    } else {
      explanation = .predicted
    }
    var geometry: LetterboxGeometry?
    let tensor = try loadInput(metadata.input, geometry: &geometry)
    let settings = metadata.relevance
    let result = try LRPFlex(settings: settings).heatmaps(of: classifier, input: tensor, explaining: explanation)
    let explained = result.explainedClasses?.first ?? 0
    let probabilities = try result.logits.softmax(dim: 1).floats()

    var file = SafetensorsFile(metadata: [
      "modelVersion": metadata.modelVersion,
      "explainedClass": metadata.classNames[explained],
      "explainedClassIndex": "\(explained)",
      "rule": "LRP-Flex: LRP-epsilon at every ReLU, z^B first layer [0,1], LRP-0 last layer",
      "epsilon": "\(settings.epsilon)",
      "batchNormRelevance": settings.batchNorm.rawValue,
      "notice": "not for clinical use",
    ])
    if let geometry {
      file.metadata["sourceSize"] = "\(geometry.sourceWidth)x\(geometry.sourceHeight)"
      file.metadata["content"] = "\(geometry.contentX),\(geometry.contentY),\(geometry.contentWidth),\(geometry.contentHeight)"
    }
    file["logits"] = try SafetensorsTensor(result.logits.floats(), shape: result.logits.shape)
    let heatmap = try result.maps.squeezed(1)
    file["heatmap"] = try SafetensorsTensor(heatmap.floats(), shape: heatmap.shape)
    file["input"] = try SafetensorsTensor(tensor.floats(), shape: tensor.shape)
    try file.write(toPath: out)

    for (name, probability) in zip(metadata.classNames, probabilities) {
      print(String(format: "%@ %.4f", name, probability))
    }
    print("explained \(metadata.classNames[explained]); wrote \(out) (not for clinical use)")
  }

  /// The model input as [1, C, H, W]: from a tensor file, or decoded and preprocessed from DICOM (then
  /// `geometry` says where the image lies in it).
  private func loadInput(_ description: InputDescription, geometry: inout LetterboxGeometry?) throws -> Tensor {
    let shape = [1, description.channels, description.height, description.width]
    let count = shape.reduce(1, *)
    if input.hasSuffix(".safetensors") {
      let file = try SafetensorsFile(path: input)
      guard file.tensors.count == 1, let stored = file.tensors.values.first else {
        throw ValidationError("\(input) must hold exactly one tensor, it holds \(file.tensors.count)")
      }
      guard stored.shape == shape || stored.shape == Array(shape.dropFirst()) else {
        throw ValidationError("\(input) holds a \(stored.shape) tensor; the model takes \(shape)")
      }
      return try Tensor(stored.floats(), shape: shape)
    }
    if input.hasSuffix(".f32") {
      let data = try Data(contentsOf: URL(fileURLWithPath: input))
      guard data.count == count * 4 else {
        throw ValidationError("\(input) has \(data.count / 4) float32 values; the model takes \(shape) = \(count)")
      }
      let values = data.withUnsafeBytes { bytes in
        (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
      }
      return try Tensor(values, shape: shape)
    }
    // A DICOM file goes through the screening pipeline's intake: acceptance rules, decoding, the input rule.
    switch ImageIntake(input: description).prepare(input) {
    case .prepared(let image):
      geometry = image.classifierInput.geometry
      return try InputLoader(preprocessing: description.preprocessing, channels: description.channels)
        .modelTensor(image.classifierInput)
    case .refused(_, _, let problem):
      throw ExplainFailure(problem: problem)
    }
  }
}

/// A DICOM input that cannot be explained: not screened by the acceptance rules, or unreadable.
struct ExplainFailure: Error, CustomStringConvertible {
  let problem: Problem
  var description: String { problem.description }
}
