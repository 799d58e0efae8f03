public import Torch

/// U-Net (Ronneberger, Fischer, Brox 2015) for per-pixel classification, built as the widely used
/// PyTorch implementation milesial/Pytorch-UNet builds it and with its parameter names
/// (`inc.double_conv.0.weight`, `down1.maxpool_conv.1.double_conv.3.weight`, `up2.up.weight`,
/// `outc.conv.bias`, ...), so one of its state dicts with the same depth and widths loads without a
/// mapping table. Depth and width are configurable: level `i` has `baseWidth · 2^i` channels.
///
/// - `inc`: DoubleConv (3x3 conv without bias, BatchNorm, ReLU, twice) at full resolution;
/// - `down1...downD`: 2x2 max pooling, then a DoubleConv doubling the channels (the deepest halved
///   again with bilinear upsampling, as in the reference);
/// - `up1...upD`: 2x upsampling (bilinear with aligned corners, or a 2x2 stride-2 transposed
///   convolution), zero padding to the skip connection's size when the input was not a multiple of
///   2^D, concatenation [skip, upsampled], DoubleConv;
/// - `outc`: 1x1 convolution with bias to `classCount` logits.
public final class UNet: Segmenter {
  /// Depth, widths, channels, classes and upsampling of this network.
  public let configuration: UNetConfiguration
  let inc: DoubleConv
  let downs: [DoubleConv]
  let ups: [(upsample: ConvTranspose2d?, conv: DoubleConv)]
  let outc: Conv2d

  /// A freshly initialised U-Net (Kaiming-normal convolutions, BatchNorm at identity); throws
  /// `EngineError.invalidConfiguration` for impossible sizes.
  public init(_ configuration: UNetConfiguration) throws {
    try configuration.validate()
    self.configuration = configuration
    let widths = (0...configuration.depth).map { configuration.baseWidth << $0 }
    let factor = configuration.upsampling == .bilinear ? 2 : 1
    inc = try DoubleConv(configuration.inputChannels, widths[0])
    downs = try (1...configuration.depth).map { level in
      try DoubleConv(widths[level - 1], level == configuration.depth ? widths[level] / factor : widths[level])
    }
    ups = try (1...configuration.depth).map { step in
      let input = widths[configuration.depth - step + 1]
      let output = step == configuration.depth ? widths[0] : widths[configuration.depth - step] / factor
      switch configuration.upsampling {
      case .bilinear:
        return (nil, try DoubleConv(input, output, middle: input / 2))
      case .transposed:
        return (try ConvTranspose2d(input, input / 2, kernel: Size2(2), stride: Size2(2)), try DoubleConv(input, output))
      }
    }
    outc = try Conv2d(widths[0], configuration.classCount, kernel: Size2(1), bias: true)
  }

  /// Output classes (2: background, lungs).
  public var classCount: Int { configuration.classCount }
  /// Input channels (1 for grey radiographs).
  public var inputChannels: Int { configuration.inputChannels }

  /// Every parameter and buffer under milesial/Pytorch-UNet's state-dict names.
  public var state: [StateEntry] {
    var entries = nested("inc", inc)
    for (index, down) in downs.enumerated() { entries += nested("down\(index + 1).maxpool_conv.1", down) }
    for (index, up) in ups.enumerated() {
      if let upsample = up.upsample { entries += nested("up\(index + 1).up", upsample) }
      entries += nested("up\(index + 1).conv", up.conv)
    }
    return entries + nested("outc.conv", outc)
  }

  /// Per-pixel logits [B, classCount, H, W] of an input [B, inputChannels, H, W].
  public func forward(_ input: Tensor, mode: ForwardMode) throws -> Tensor {
    guard input.rank == 4, input.shape[1] == configuration.inputChannels else {
      throw EngineError.invalidInput("a U-Net takes [B, \(configuration.inputChannels), H, W], not \(input.shape)")
    }
    var skips = [try inc(input, mode)]
    for down in downs {
      let pooled = try skips[skips.count - 1].maxPool2d(kernel: Size2(2), stride: Size2(2))
      skips.append(try down(pooled, mode))
    }
    var features = skips.removeLast()
    for up in ups {
      let skip = skips.removeLast()
      let upsampled: Tensor
      if let upsample = up.upsample {
        upsampled = try upsample(features)
      } else {
        let shape = features.shape
        upsampled = try features.resized(to: Size2(shape[2] * 2, shape[3] * 2), interpolation: .bilinear, alignCorners: true)
      }
      features = try up.conv(Tensor.cat([skip, Self.padded(upsampled, to: skip.shape)], dim: 1), mode)
    }
    return try outc(features)
  }

  /// `tensor` zero-padded (evenly, the odd pixel right and bottom) to the height and width of `shape`.
  private static func padded(_ tensor: Tensor, to shape: [Int]) throws -> Tensor {
    let current = tensor.shape
    let (dy, dx) = (shape[2] - current[2], shape[3] - current[3])
    guard dy != 0 || dx != 0 else { return tensor }
    return try tensor.padded([dx / 2, dx - dx / 2, dy / 2, dy - dy / 2])
  }
}

/// How a U-Net's decoder doubles the resolution.
public enum Upsampling: String, Codable, Sendable, CaseIterable {
  /// Bilinear interpolation with aligned corners (no parameters); the deepest level is halved so the
  /// concatenations match.
  case bilinear
  /// A learned 2x2 stride-2 transposed convolution halving the channels.
  case transposed
}

/// Hyperparameters of a U-Net.
public struct UNetConfiguration: Codable, Sendable, Equatable {
  /// Number of 2x downsamplings (the reference U-Net: 4).
  public var depth: Int
  /// Channels of the full-resolution level (the reference: 64); level i has baseWidth · 2^i.
  public var baseWidth: Int
  /// Channels of the input image (1 grey, or 3).
  public var inputChannels: Int
  /// Output classes; 2 for lung segmentation (0 background, 1 lungs).
  public var classCount: Int
  /// How the decoder doubles the resolution.
  public var upsampling: Upsampling

  /// A configuration; the defaults are ``lungs``.
  public init(depth: Int = 4, baseWidth: Int = 8, inputChannels: Int = 1, classCount: Int = 2,
              upsampling: Upsampling = .bilinear) {
    self.depth = depth
    self.baseWidth = baseWidth
    self.inputChannels = inputChannels
    self.classCount = classCount
    self.upsampling = upsampling
  }

  /// isnetd's lung segmenter: depth 4, base width 8, bilinear upsampling (0.27 M parameters). A 224x224
  /// mask takes about 25 ms on one CPU core (`isnetd-bench segment`); width 16 quadruples the cost.
  public static let lungs = UNetConfiguration()

  /// The original width (64) at depth 4, as milesial/Pytorch-UNet's `UNet(n_channels, n_classes,
  /// bilinear)`, whose default is transposed-convolution upsampling (31.0 M parameters for one input
  /// channel; 17.3 M with bilinear upsampling).
  public static func reference(inputChannels: Int = 1, classCount: Int = 2, upsampling: Upsampling = .transposed) -> UNetConfiguration {
    UNetConfiguration(depth: 4, baseWidth: 64, inputChannels: inputChannels, classCount: classCount, upsampling: upsampling)
  }

  /// Input sides that need no padding inside the network are multiples of this (2^depth).
  public var sizeMultiple: Int { 1 << depth }

  func validate() throws {
    guard (1...6).contains(depth) else { throw EngineError.invalidConfiguration("U-Net depth must be 1 to 6, not \(depth)") }
    guard baseWidth >= 2, baseWidth % 2 == 0, baseWidth <= 1024 else {
      throw EngineError.invalidConfiguration("U-Net base width must be even and 2 to 1024, not \(baseWidth)")
    }
    guard classCount >= 2, classCount <= 1024 else { throw EngineError.invalidConfiguration("a segmenter needs 2 to 1024 classes, not \(classCount)") }
    guard inputChannels == 1 || inputChannels == 3 else {
      throw EngineError.invalidConfiguration("input channels must be 1 or 3, not \(inputChannels)")
    }
  }
}

/// (3x3 conv without bias, BatchNorm, ReLU) twice, named as torch.nn.Sequential indices 0, 1, 3, 4.
final class DoubleConv: Layer {
  let conv1: Conv2d
  let norm1: BatchNorm2d
  let conv2: Conv2d
  let norm2: BatchNorm2d

  init(_ inputChannels: Int, _ outputChannels: Int, middle: Int? = nil) throws {
    let middle = middle ?? outputChannels
    conv1 = try Conv2d(inputChannels, middle, kernel: Size2(3), padding: Size2(1))
    norm1 = try BatchNorm2d(middle)
    conv2 = try Conv2d(middle, outputChannels, kernel: Size2(3), padding: Size2(1))
    norm2 = try BatchNorm2d(outputChannels)
  }

  var state: [StateEntry] {
    nested("double_conv.0", conv1) + nested("double_conv.1", norm1) + nested("double_conv.3", conv2)
      + nested("double_conv.4", norm2)
  }

  func callAsFunction(_ input: Tensor, _ mode: ForwardMode) throws -> Tensor {
    var plain = mode  // a segmenter is never explained: plain ReLUs, BatchNorm as the mode says
    plain.relevance = nil
    let hidden = try relu(norm1(conv1(input), plain), plain)
    return try relu(norm2(conv2(hidden), plain), plain)
  }
}
