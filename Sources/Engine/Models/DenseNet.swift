public import Torch

/// DenseNet-BC (Huang et al. 2017) as torchvision builds it, with torchvision's parameter names
/// (`features.denseblock1.denselayer1.norm1.weight`, `classifier.bias`, ...), so a torchvision
/// `densenet121` state dict maps one-to-one. Every ReLU is an LRP-aware unit.
public final class DenseNet: Classifier {
  public let configuration: DenseNetConfiguration
  let conv0: Conv2d
  let norm0: BatchNorm2d
  let blocks: [DenseBlock]
  let transitions: [Transition]
  let norm5: BatchNorm2d
  let classifier: Linear

  /// - Parameter dtype: float32 for every real use; float64 lets tests compare with explicit LRP exactly.
  public init(_ configuration: DenseNetConfiguration, dtype: DType = .float32) throws {
    try configuration.validate()
    self.configuration = configuration
    conv0 = try Conv2d(configuration.inputChannels, configuration.initialFeatures, kernel: Size2(7),
                       stride: Size2(2), padding: Size2(3), dtype: dtype)
    norm0 = try BatchNorm2d(configuration.initialFeatures, dtype: dtype)
    var channels = configuration.initialFeatures
    var blocks: [DenseBlock] = []
    var transitions: [Transition] = []
    for (index, layers) in configuration.blockLayers.enumerated() {
      let block = try DenseBlock(layers: layers, inputChannels: channels, configuration: configuration, dtype: dtype)
      blocks.append(block)
      channels += layers * configuration.growthRate
      if index < configuration.blockLayers.count - 1 {
        transitions.append(try Transition(channels, channels / 2, extraReLU: configuration.transitionReLU, dtype: dtype))
        channels /= 2
      }
    }
    self.blocks = blocks
    self.transitions = transitions
    norm5 = try BatchNorm2d(channels, dtype: dtype)
    classifier = try Linear(channels, configuration.classCount, dtype: dtype)
  }

  public var classCount: Int { configuration.classCount }
  public var inputChannels: Int { configuration.inputChannels }

  public var state: [StateEntry] {
    var entries = nested("features.conv0", conv0) + nested("features.norm0", norm0)
    for (index, block) in blocks.enumerated() {
      entries += nested("features.denseblock\(index + 1)", block)
      if index < transitions.count { entries += nested("features.transition\(index + 1)", transitions[index]) }
    }
    return entries + nested("features.norm5", norm5) + nested("classifier", classifier)
  }

  public func forward(_ input: Tensor, mode: ForwardMode) throws -> ClassifierOutput {
    let (activation, firstLayer) = try firstLayerForward(input, conv: conv0, norm: norm0, mode: mode)
    var features = try activation.maxPool2d(kernel: Size2(3), stride: Size2(2), padding: Size2(1))
    var supervised: [Tensor] = []
    for (index, block) in blocks.enumerated() {
      features = try block(features, mode)
      if index < transitions.count {
        let transitionActivation = try transitions[index].activation(features, mode)
        supervised.append(transitionActivation)
        features = try transitions[index].reduce(transitionActivation, mode)
      }
    }
    let finalActivation = try relu(norm5(features, mode), mode)
    supervised.append(finalActivation)
    let pooled = try finalActivation.adaptiveAvgPool2d(Size2(1))
    let logits = try classifier(pooled.reshaped([pooled.shape[0], -1]))
    return ClassifierOutput(logits: logits, firstActivation: firstLayer == nil ? nil : activation,
                            firstLayer: firstLayer, supervisedActivations: mode.relevance == nil ? [] : supervised)
  }
}

/// Hyperparameters of a DenseNet, with the paper's names.
public struct DenseNetConfiguration: Codable, Sendable, Equatable {
  /// k: feature maps each dense layer adds.
  public var growthRate: Int
  /// Dense layers per block.
  public var blockLayers: [Int]
  /// Feature maps of the stem convolution.
  public var initialFeatures: Int
  /// Bottleneck width multiplier (bn_size): the 1x1 convolution outputs bottleneckWidth·k maps.
  public var bottleneckWidth: Int
  /// Dropout after each dense layer (0 disables it).
  public var dropRate: Double
  public var classCount: Int
  public var inputChannels: Int
  /// The authors' LRPDenseNetZe adds a ReLU after each transition convolution. Off by default so
  /// torchvision weights keep their meaning; on reproduces the authors' network.
  public var transitionReLU: Bool

  public init(growthRate: Int, blockLayers: [Int], initialFeatures: Int, bottleneckWidth: Int = 4,
              dropRate: Double = 0, classCount: Int, inputChannels: Int = 1, transitionReLU: Bool = false) {
    self.growthRate = growthRate
    self.blockLayers = blockLayers
    self.initialFeatures = initialFeatures
    self.bottleneckWidth = bottleneckWidth
    self.dropRate = dropRate
    self.classCount = classCount
    self.inputChannels = inputChannels
    self.transitionReLU = transitionReLU
  }

  /// torchvision's densenet121: k = 32, blocks (6, 12, 24, 16), 64 stem features.
  public static func densenet121(classCount: Int, inputChannels: Int = 3) -> DenseNetConfiguration {
    DenseNetConfiguration(growthRate: 32, blockLayers: [6, 12, 24, 16], initialFeatures: 64,
                          classCount: classCount, inputChannels: inputChannels)
  }

  /// A small DenseNet for CPU deployments and experiments: k = 12, blocks (2, 4, 6, 4), 24 stem features.
  public static func compact(classCount: Int, inputChannels: Int = 1) -> DenseNetConfiguration {
    DenseNetConfiguration(growthRate: 12, blockLayers: [2, 4, 6, 4], initialFeatures: 24,
                          classCount: classCount, inputChannels: inputChannels)
  }

  /// Upper bounds on the sizes, far above any published DenseNet (densenet264: k = 32, blocks (6, 12,
  /// 64, 48), bn_size 4), so that building one can neither overflow nor be asked for absurd memory.
  static let limits = (growthRate: 1024, blockLayers: 1024, blocks: 16, initialFeatures: 4096, bottleneckWidth: 64,
                       classCount: 100_000)

  func validate() throws {
    guard growthRate > 0, initialFeatures > 0, bottleneckWidth > 0, !blockLayers.isEmpty,
          blockLayers.allSatisfy({ $0 > 0 }) else {
      throw EngineError.invalidConfiguration("DenseNet sizes must be positive: \(self)")
    }
    let limits = Self.limits
    guard growthRate <= limits.growthRate, initialFeatures <= limits.initialFeatures,
          bottleneckWidth <= limits.bottleneckWidth, blockLayers.count <= limits.blocks,
          blockLayers.allSatisfy({ $0 <= limits.blockLayers }), classCount <= limits.classCount else {
      throw EngineError.invalidConfiguration("DenseNet sizes must be at most \(limits): \(self)")
    }
    guard classCount >= 2 else { throw EngineError.invalidConfiguration("a classifier needs at least 2 classes") }
    guard inputChannels == 1 || inputChannels == 3 else {
      throw EngineError.invalidConfiguration("input channels must be 1 or 3, not \(inputChannels)")
    }
    guard (0..<1).contains(dropRate) else { throw EngineError.invalidConfiguration("drop rate must be in [0, 1)") }
  }
}

/// BN-ReLU-Conv1x1-BN-ReLU-Conv3x3 on the concatenation of all earlier feature maps of the block.
final class DenseLayer: Layer {
  let norm1: BatchNorm2d
  let conv1: Conv2d
  let norm2: BatchNorm2d
  let conv2: Conv2d
  let dropRate: Double

  init(inputChannels: Int, growthRate: Int, bottleneckWidth: Int, dropRate: Double, dtype: DType) throws {
    let bottleneck = bottleneckWidth * growthRate
    norm1 = try BatchNorm2d(inputChannels, dtype: dtype)
    conv1 = try Conv2d(inputChannels, bottleneck, kernel: Size2(1), dtype: dtype)
    norm2 = try BatchNorm2d(bottleneck, dtype: dtype)
    conv2 = try Conv2d(bottleneck, growthRate, kernel: Size2(3), padding: Size2(1), dtype: dtype)
    self.dropRate = dropRate
  }

  var state: [StateEntry] {
    nested("norm1", norm1) + nested("conv1", conv1) + nested("norm2", norm2) + nested("conv2", conv2)
  }

  func callAsFunction(_ input: Tensor, _ mode: ForwardMode) throws -> Tensor {
    let bottleneck = try conv1(relu(norm1(input, mode), mode))
    let output = try conv2(relu(norm2(bottleneck, mode), mode))
    guard dropRate > 0 else { return output }
    return try output.dropout(probability: dropRate, training: mode.training)
  }
}

final class DenseBlock: Layer {
  let layers: [DenseLayer]

  init(layers count: Int, inputChannels: Int, configuration: DenseNetConfiguration, dtype: DType) throws {
    layers = try (0..<count).map { index in
      try DenseLayer(inputChannels: inputChannels + index * configuration.growthRate,
                     growthRate: configuration.growthRate, bottleneckWidth: configuration.bottleneckWidth,
                     dropRate: configuration.dropRate, dtype: dtype)
    }
  }

  var state: [StateEntry] {
    layers.enumerated().flatMap { nested("denselayer\($0.offset + 1)", $0.element) }
  }

  func callAsFunction(_ input: Tensor, _ mode: ForwardMode) throws -> Tensor {
    var features = [input]
    for layer in layers {
      features.append(try layer(Tensor.cat(features, dim: 1), mode))
    }
    return try Tensor.cat(features, dim: 1)
  }
}

/// BN-ReLU-Conv1x1 (halving the channels) then 2x2 average pooling between dense blocks.
final class Transition: Layer {
  let norm: BatchNorm2d
  let conv: Conv2d
  let extraReLU: Bool

  init(_ inputChannels: Int, _ outputChannels: Int, extraReLU: Bool, dtype: DType) throws {
    norm = try BatchNorm2d(inputChannels, dtype: dtype)
    conv = try Conv2d(inputChannels, outputChannels, kernel: Size2(1), dtype: dtype)
    self.extraReLU = extraReLU
  }

  var state: [StateEntry] { nested("norm", norm) + nested("conv", conv) }

  /// BN-ReLU: the layer deep supervision penalises (the authors' `transitionN.relu`).
  func activation(_ input: Tensor, _ mode: ForwardMode) throws -> Tensor {
    try relu(norm(input, mode), mode)
  }

  /// Conv1x1 (+ the optional extra ReLU) and 2x2 average pooling of `activation`.
  func reduce(_ activation: Tensor, _ mode: ForwardMode) throws -> Tensor {
    var output = try conv(activation)
    if extraReLU { output = try relu(output, mode) }
    return try output.avgPool2d(kernel: Size2(2), stride: Size2(2))
  }
}
