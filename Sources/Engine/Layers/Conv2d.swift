public import Torch

/// 2-D convolution (torch.nn.Conv2d): `weight` [out, in/groups, kH, kW] and optional `bias` [out].
public final class Conv2d: Layer {
  public let weight: Tensor
  public let bias: Tensor?
  public let stride: Size2
  public let padding: Size2

  /// Kaiming-normal weights (fan-in, ReLU gain), as torchvision's DenseNet initialises its convolutions;
  /// a zero bias when present.
  public init(_ inChannels: Int, _ outChannels: Int, kernel: Size2, stride: Size2 = Size2(1),
              padding: Size2 = Size2(0), bias: Bool = false, dtype: DType = .float32) throws {
    let fanIn = Double(inChannels * kernel.height * kernel.width)
    weight = try kaimingNormal([outChannels, inChannels, kernel.height, kernel.width], fanIn: fanIn, dtype: dtype)
    self.bias = bias ? try Tensor.zeros([outChannels], dtype: dtype).requiringGradient() : nil
    self.stride = stride
    self.padding = padding
  }

  public var state: [StateEntry] {
    weightAndBias(weight, bias)
  }

  public var kernel: Size2 {
    let shape = weight.shape
    return Size2(shape[2], shape[3])
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    try input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
  }
}

/// Fully connected layer (torch.nn.Linear): `weight` [out, in], `bias` [out].
public final class Linear: Layer {
  public let weight: Tensor
  public let bias: Tensor?

  /// PyTorch's default initialisation (uniform ±1/√fan-in) with a zero bias, as torchvision's
  /// DenseNet sets its classifier.
  public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32) throws {
    let bound = 1 / Double(inFeatures).squareRoot()
    weight = try (Tensor.rand([outFeatures, inFeatures]) * (2 * bound) - bound).to(dtype).requiringGradient()
    self.bias = bias ? try Tensor.zeros([outFeatures], dtype: dtype).requiringGradient() : nil
  }

  public var state: [StateEntry] {
    weightAndBias(weight, bias)
  }

  public func callAsFunction(_ input: Tensor) throws -> Tensor {
    try input.linear(weight: weight, bias: bias)
  }
}

/// Kaiming-normal weights, N(0, 2/fan-in) (the ReLU gain), trainable: how torchvision initialises the
/// convolutions of its DenseNet.
func kaimingNormal(_ shape: [Int], fanIn: Double, dtype: DType) throws -> Tensor {
  try (Tensor.randn(shape) * (2 / fanIn).squareRoot()).to(dtype).requiringGradient()
}

/// The state of a layer with a `weight` and an optional `bias`.
func weightAndBias(_ weight: Tensor, _ bias: Tensor?) -> [StateEntry] {
  [StateEntry(name: "weight", tensor: weight, kind: .parameter)]
    + (bias.map { [StateEntry(name: "bias", tensor: $0, kind: .parameter)] } ?? [])
}
