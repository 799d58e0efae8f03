public import Torch

/// A plain feed-forward classifier built from a list of steps, for small CPU models and for checking
/// LRP against explicit layer-by-layer references. It must start with a convolution or linear layer,
/// optionally followed by BatchNorm, then a ReLU: that block is the z^B first layer.
public final class SequentialClassifier: Classifier {
  public enum Step {
    case conv(Conv2d)
    case batchNorm(BatchNorm2d)
    case linear(Linear)
    case relu
    case maxPool(kernel: Size2, stride: Size2, padding: Size2)
    case avgPool(kernel: Size2, stride: Size2)
    case globalAvgPool
    case flatten
    /// Marks the output of the step before as a layer LRP deep supervision penalises (a no-op in the
    /// forward pass).
    case supervise
  }

  public let steps: [Step]
  public let classCount: Int
  public let inputChannels: Int
  /// Index of the first step after the first ReLU.
  private let bodyStart: Int

  public init(_ steps: [Step], inputChannels: Int, classCount: Int) throws {
    guard let bodyStart = Self.firstLayerLength(steps) else {
      throw EngineError.invalidConfiguration(
        "a sequential classifier must start with a convolution (optionally with BatchNorm) or a linear layer, then a ReLU")
    }
    self.steps = steps
    self.inputChannels = inputChannels
    self.classCount = classCount
    self.bodyStart = bodyStart
  }

  /// Steps up to and including the first ReLU, or nil when they are not a z^B first layer.
  private static func firstLayerLength(_ steps: [Step]) -> Int? {
    var index = 1
    switch steps.first {
    case .conv?:
      if index < steps.count, case .batchNorm = steps[index] { index += 1 }
    case .linear?:
      break
    default:
      return nil
    }
    guard index < steps.count, case .relu = steps[index] else { return nil }
    return index + 1
  }

  /// Parameters are named by step index, as in torch.nn.Sequential ("0.weight", "3.bias").
  public var state: [StateEntry] {
    steps.enumerated().flatMap { index, step -> [StateEntry] in
      switch step {
      case .conv(let layer): nested("\(index)", layer)
      case .batchNorm(let layer): nested("\(index)", layer)
      case .linear(let layer): nested("\(index)", layer)
      default: []
      }
    }
  }

  public func forward(_ input: Tensor, mode: ForwardMode) throws -> ClassifierOutput {
    let (activation, firstLayer) = try forwardFirstLayer(input, mode: mode)
    var output = activation
    var supervised: [Tensor] = []
    for step in steps[bodyStart...] {
      if case .supervise = step {
        if mode.relevance != nil { supervised.append(output) }
        continue
      }
      output = try apply(step, output, mode)
    }
    return ClassifierOutput(logits: output, firstActivation: firstLayer == nil ? nil : activation,
                            firstLayer: firstLayer, supervisedActivations: supervised)
  }

  private func forwardFirstLayer(_ input: Tensor, mode: ForwardMode) throws -> (Tensor, FirstLayer?) {
    switch steps[0] {
    case .conv(let conv):
      var norm: BatchNorm2d?
      if case .batchNorm(let layer) = steps[1] { norm = layer }
      return try firstLayerForward(input, conv: conv, norm: norm, mode: mode)
    case .linear(let linear):
      let activation = try relu(linear(input), mode)
      guard mode.relevance != nil else { return (activation, nil) }
      return (activation, FirstLayer(weight: linear.weight, bias: linear.bias, operation: .linear))
    default:
      preconditionFailure("validated in init")
    }
  }

  private func apply(_ step: Step, _ input: Tensor, _ mode: ForwardMode) throws -> Tensor {
    switch step {
    case .conv(let layer): try layer(input)
    case .batchNorm(let layer): try layer(input, mode)
    case .linear(let layer): try layer(input)
    case .relu: try relu(input, mode)
    case .maxPool(let kernel, let stride, let padding): try input.maxPool2d(kernel: kernel, stride: stride, padding: padding)
    case .avgPool(let kernel, let stride): try input.avgPool2d(kernel: kernel, stride: stride)
    case .globalAvgPool: try input.adaptiveAvgPool2d(Size2(1))
    case .flatten: try input.reshaped([input.shape[0], -1])
    case .supervise: input
    }
  }
}
