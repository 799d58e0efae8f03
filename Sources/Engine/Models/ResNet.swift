public import Torch

/// ResNet with basic blocks (He et al. 2016) as torchvision builds it, with torchvision's parameter
/// names (`conv1.weight`, `layer2.0.downsample.0.weight`, `fc.bias`, ...), so a torchvision `resnet18`
/// state dict maps one-to-one. Every ReLU is an LRP-aware unit; LRP-Flex splits relevance at each
/// residual addition in proportion to the two contributions (the authors' rule), since Grad×Input
/// through an addition does exactly that. LRP deep supervision penalises each stage's output
/// (the authors' `layer1` to `layer4`).
public final class ResNet: Classifier {
  public let configuration: ResNetConfiguration
  let conv1: Conv2d
  let bn1: BatchNorm2d
  let stages: [[BasicBlock]]
  let fc: Linear

  /// - Parameter dtype: float32 for every real use; float64 lets tests compare with explicit LRP exactly.
  public init(_ configuration: ResNetConfiguration, dtype: DType = .float32) throws {
    try configuration.validate()
    self.configuration = configuration
    conv1 = try Conv2d(configuration.inputChannels, configuration.initialFeatures, kernel: Size2(7), stride: Size2(2),
                       padding: Size2(3), dtype: dtype)
    bn1 = try BatchNorm2d(configuration.initialFeatures, dtype: dtype)
    var channels = configuration.initialFeatures
    stages = try zip(configuration.blockLayers, configuration.widths).enumerated().map { stage, sizes in
      let (blocks, width) = sizes
      return try (0..<blocks).map { index in
        let block = try BasicBlock(channels, width, stride: stage > 0 && index == 0 ? 2 : 1, dtype: dtype)
        channels = width
        return block
      }
    }
    fc = try Linear(channels, configuration.classCount, dtype: dtype)
  }

  public var classCount: Int { configuration.classCount }
  public var inputChannels: Int { configuration.inputChannels }

  public var state: [StateEntry] {
    var entries = nested("conv1", conv1) + nested("bn1", bn1)
    for (stage, blocks) in stages.enumerated() {
      for (index, block) in blocks.enumerated() { entries += nested("layer\(stage + 1).\(index)", block) }
    }
    return entries + nested("fc", fc)
  }

  public func forward(_ input: Tensor, mode: ForwardMode) throws -> ClassifierOutput {
    let (activation, firstLayer) = try firstLayerForward(input, conv: conv1, norm: bn1, mode: mode)
    var features = try activation.maxPool2d(kernel: Size2(3), stride: Size2(2), padding: Size2(1))
    var supervised: [Tensor] = []
    for blocks in stages {
      for block in blocks { features = try block(features, mode) }
      supervised.append(features)
    }
    let pooled = try features.adaptiveAvgPool2d(Size2(1))
    let logits = try fc(pooled.reshaped([pooled.shape[0], -1]))
    return ClassifierOutput(logits: logits, firstActivation: firstLayer == nil ? nil : activation,
                            firstLayer: firstLayer, supervisedActivations: mode.relevance == nil ? [] : supervised)
  }
}

/// Hyperparameters of a ResNet with basic blocks.
public struct ResNetConfiguration: Codable, Sendable, Equatable {
  /// Basic blocks per stage.
  public var blockLayers: [Int]
  /// Feature maps of each stage; every stage after the first halves the resolution.
  public var widths: [Int]
  /// Feature maps of the stem convolution.
  public var initialFeatures: Int
  public var classCount: Int
  public var inputChannels: Int

  public init(blockLayers: [Int], widths: [Int], initialFeatures: Int, classCount: Int, inputChannels: Int = 1) {
    self.blockLayers = blockLayers
    self.widths = widths
    self.initialFeatures = initialFeatures
    self.classCount = classCount
    self.inputChannels = inputChannels
  }

  /// torchvision's resnet18: blocks (2, 2, 2, 2), widths (64, 128, 256, 512), 64 stem features.
  public static func resnet18(classCount: Int, inputChannels: Int = 3) -> ResNetConfiguration {
    ResNetConfiguration(blockLayers: [2, 2, 2, 2], widths: [64, 128, 256, 512], initialFeatures: 64,
                        classCount: classCount, inputChannels: inputChannels)
  }

  /// ResNet-18's layout at a quarter of its widths, for CPU deployments and experiments.
  public static func compact(classCount: Int, inputChannels: Int = 1) -> ResNetConfiguration {
    ResNetConfiguration(blockLayers: [2, 2, 2, 2], widths: [16, 32, 64, 128], initialFeatures: 16,
                        classCount: classCount, inputChannels: inputChannels)
  }

  /// Upper bounds far above any published ResNet, so that building one can neither overflow nor be
  /// asked for absurd memory.
  static let limits = (stages: 8, blocks: 64, width: 4096, classCount: 100_000)

  func validate() throws {
    guard !blockLayers.isEmpty, blockLayers.count == widths.count else {
      throw EngineError.invalidConfiguration("a ResNet needs one width per stage: \(self)")
    }
    guard initialFeatures > 0, blockLayers.allSatisfy({ $0 > 0 }), widths.allSatisfy({ $0 > 0 }) else {
      throw EngineError.invalidConfiguration("ResNet sizes must be positive: \(self)")
    }
    let limits = Self.limits
    guard blockLayers.count <= limits.stages, blockLayers.allSatisfy({ $0 <= limits.blocks }),
          widths.allSatisfy({ $0 <= limits.width }), initialFeatures <= limits.width, classCount <= limits.classCount else {
      throw EngineError.invalidConfiguration("ResNet sizes must be at most \(limits): \(self)")
    }
    guard classCount >= 2 else { throw EngineError.invalidConfiguration("a classifier needs at least 2 classes") }
    guard inputChannels == 1 || inputChannels == 3 else {
      throw EngineError.invalidConfiguration("input channels must be 1 or 3, not \(inputChannels)")
    }
  }
}

/// Conv3x3-BN-ReLU-Conv3x3-BN, plus the input (through a 1x1 convolution and BN when the shape
/// changes), then ReLU.
final class BasicBlock: Layer {
  let conv1: Conv2d
  let bn1: BatchNorm2d
  let conv2: Conv2d
  let bn2: BatchNorm2d
  let downsample: (conv: Conv2d, norm: BatchNorm2d)?

  init(_ inputChannels: Int, _ outputChannels: Int, stride: Int, dtype: DType) throws {
    conv1 = try Conv2d(inputChannels, outputChannels, kernel: Size2(3), stride: Size2(stride), padding: Size2(1), dtype: dtype)
    bn1 = try BatchNorm2d(outputChannels, dtype: dtype)
    conv2 = try Conv2d(outputChannels, outputChannels, kernel: Size2(3), padding: Size2(1), dtype: dtype)
    bn2 = try BatchNorm2d(outputChannels, dtype: dtype)
    downsample = stride == 1 && inputChannels == outputChannels ? nil
      : (try Conv2d(inputChannels, outputChannels, kernel: Size2(1), stride: Size2(stride), dtype: dtype),
         try BatchNorm2d(outputChannels, dtype: dtype))
  }

  var state: [StateEntry] {
    var entries = nested("conv1", conv1) + nested("bn1", bn1) + nested("conv2", conv2) + nested("bn2", bn2)
    if let downsample { entries += nested("downsample.0", downsample.conv) + nested("downsample.1", downsample.norm) }
    return entries
  }

  func callAsFunction(_ input: Tensor, _ mode: ForwardMode) throws -> Tensor {
    let residual = try bn2(conv2(relu(bn1(conv1(input), mode), mode)), mode)
    let shortcut = try downsample.map { try $0.norm($0.conv(input), mode) } ?? input
    return try relu(residual + shortcut, mode)
  }
}
