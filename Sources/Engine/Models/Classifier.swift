public import Torch

/// The first layer of a classifier with the BatchNorm after it folded in, as the z^B rule needs it.
public struct FirstLayer {
  public enum Operation {
    case convolution(stride: Size2, padding: Size2)
    case linear
  }

  /// Folded weight (BatchNorm scale applied).
  public let weight: Tensor
  /// Folded bias, nil when the layer has neither a bias nor a BatchNorm.
  public let bias: Tensor?
  public let operation: Operation
}

/// What one forward pass of a classifier produces.
public struct ClassifierOutput {
  /// [B, K] class scores before softmax.
  public let logits: Tensor
  /// Output of the first ReLU: where the modified-gradient relevance pass stops and the z^B rule
  /// takes over. Present only when the forward ran in relevance mode.
  public let firstActivation: Tensor?
  /// The folded first layer of this very pass (batch statistics in training mode).
  public let firstLayer: FirstLayer?
  /// Outputs of the hidden ReLUs that LRP deep supervision penalises, input side first (relevance
  /// mode only; empty for a model that names none).
  public let supervisedActivations: [Tensor]

  public init(logits: Tensor, firstActivation: Tensor? = nil, firstLayer: FirstLayer? = nil,
              supervisedActivations: [Tensor] = []) {
    self.logits = logits
    self.firstActivation = firstActivation
    self.firstLayer = firstLayer
    self.supervisedActivations = supervisedActivations
  }
}

/// A classifier whose predictions can be explained with LRP-Flex: every ReLU is an LRP-aware unit and
/// the layers up to the first ReLU are one convolution or linear layer (optionally with BatchNorm).
public protocol Classifier: Layer {
  var classCount: Int { get }
  /// Input channels the first layer expects.
  var inputChannels: Int { get }
  func forward(_ input: Tensor, mode: ForwardMode) throws -> ClassifierOutput
}

extension Classifier {
  /// Logits of a plain inference pass (no relevance bookkeeping, no gradient recording).
  public func logits(_ input: Tensor) throws -> Tensor {
    try Torch.withoutGradient { try forward(input, mode: .inference).logits }
  }
}

/// Runs a convolution (+ BatchNorm) + ReLU first layer and records what the relevance pass needs.
func firstLayerForward(
  _ input: Tensor, conv: Conv2d, norm: BatchNorm2d?, mode: ForwardMode
) throws -> (activation: Tensor, layer: FirstLayer?) {
  let convolved = try conv(input)
  let normalised = try norm.map { try $0(convolved, mode) } ?? convolved
  let activation = try relu(normalised, mode)
  guard mode.relevance != nil else { return (activation, nil) }
  let operation = FirstLayer.Operation.convolution(stride: conv.stride, padding: conv.padding)
  guard let norm else { return (activation, FirstLayer(weight: conv.weight, bias: conv.bias, operation: operation)) }
  let (scale, shift) = try norm.affine(for: convolved, mode)
  let weight = try conv.weight * scale.reshaped([-1, 1, 1, 1])
  let bias = try conv.bias.map { try $0 * scale + shift } ?? shift
  return (activation, FirstLayer(weight: weight, bias: bias, operation: operation))
}
