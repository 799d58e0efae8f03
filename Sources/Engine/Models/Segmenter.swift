public import Torch

/// A network that labels every pixel: class scores [B, K, H, W] for an input [B, C, H, W] of the same
/// height and width. For lung segmentation K = 2, class 0 the background and class 1 the lungs.
public protocol Segmenter: Layer {
  var classCount: Int { get }
  /// Input channels the first layer expects.
  var inputChannels: Int { get }
  /// Per-pixel logits [B, K, H, W]. `mode.training` selects batch statistics in BatchNorm.
  func forward(_ input: Tensor, mode: ForwardMode) throws -> Tensor
}

extension Segmenter {
  /// Logits of a plain inference pass (eval-mode BatchNorm, no gradient recording).
  public func logits(_ input: Tensor) throws -> Tensor {
    try Torch.withoutGradient { try forward(input, mode: .inference) }
  }

  /// The softmax probability of class `foreground` (1, the lungs, by default) at every pixel,
  /// [B, H, W], from an inference pass.
  public func probabilities(_ input: Tensor, foreground: Int = 1) throws -> Tensor {
    try Torch.withoutGradient {
      try forward(input, mode: .inference).softmax(dim: 1).narrowed(dim: 1, start: foreground, length: 1).squeezed(1)
    }
  }
}
