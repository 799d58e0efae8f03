public import Torch

/// Transposed 2-D convolution (torch.nn.ConvTranspose2d): `weight` [in, out, kH, kW] and optional
/// `bias` [out]. A U-Net's learned 2x upsampling uses kernel 2, stride 2.
public final class ConvTranspose2d: Layer {
  /// [in, out, kH, kW].
  public let weight: Tensor
  /// [out], when the layer has a bias.
  public let bias: Tensor?
  /// Upsampling factor along each axis.
  public let stride: Size2
  /// Rows and columns cropped from each side of the output.
  public let padding: Size2

  /// Kaiming-normal weights for the inputs that reach each output pixel (fan-in = in channels x the
  /// kernel taps that overlap one output position, kH·kW / (sH·sW), at least one), with the ReLU gain
  /// as `Conv2d` uses: its inputs come out of a ReLU. A zero bias when present.
  public init(_ inChannels: Int, _ outChannels: Int, kernel: Size2, stride: Size2 = Size2(1),
              padding: Size2 = Size2(0), bias: Bool = true, dtype: DType = .float32) throws {
    let taps = Swift.max(1, (kernel.height * kernel.width) / Swift.max(1, stride.height * stride.width))
    let fanIn = Double(inChannels * taps)
    weight = try kaimingNormal([inChannels, outChannels, kernel.height, kernel.width], fanIn: fanIn, dtype: dtype)
    self.bias = bias ? try Tensor.zeros([outChannels], dtype: dtype).requiringGradient() : nil
    self.stride = stride
    self.padding = padding
  }

  /// `weight` and, when present, `bias`.
  public var state: [StateEntry] {
    weightAndBias(weight, bias)
  }

  /// The transposed convolution of an [N, in, H, W] input.
  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    try input.convTranspose2d(weight: weight, bias: bias, stride: stride, padding: padding)
  }
}
