/// Which network a checkpoint holds, with its hyperparameters, so the network can be rebuilt.
/// Encoded as `{"kind": "densenet" or "resnet", "parameters": {...}}` (a classifier) or `{"kind":
/// "unet", "parameters": {...}}` (a segmenter).
public enum Architecture: Codable, Sendable, Equatable {
  case denseNet(DenseNetConfiguration)
  case resNet(ResNetConfiguration)
  case uNet(UNetConfiguration)

  private enum CodingKeys: String, CodingKey { case kind, parameters }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let kind = try container.decode(String.self, forKey: .kind)
    switch kind {
    case "densenet": self = .denseNet(try container.decode(DenseNetConfiguration.self, forKey: .parameters))
    case "resnet": self = .resNet(try container.decode(ResNetConfiguration.self, forKey: .parameters))
    case "unet": self = .uNet(try container.decode(UNetConfiguration.self, forKey: .parameters))
    default:
      throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown architecture \(kind)")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .denseNet(let configuration):
      try container.encode("densenet", forKey: .kind)
      try container.encode(configuration, forKey: .parameters)
    case .resNet(let configuration):
      try container.encode("resnet", forKey: .kind)
      try container.encode(configuration, forKey: .parameters)
    case .uNet(let configuration):
      try container.encode("unet", forKey: .kind)
      try container.encode(configuration, forKey: .parameters)
    }
  }

  /// A freshly initialised classifier of this architecture.
  public func makeClassifier() throws -> any Classifier {
    switch self {
    case .denseNet(let configuration): try DenseNet(configuration)
    case .resNet(let configuration): try ResNet(configuration)
    case .uNet: throw EngineError.invalidConfiguration("this checkpoint holds a U-Net lung segmenter, not a classifier")
    }
  }

  /// A freshly initialised segmenter of this architecture.
  public func makeSegmenter() throws -> any Segmenter {
    switch self {
    case .uNet(let configuration): try UNet(configuration)
    case .denseNet: throw EngineError.invalidConfiguration("this checkpoint holds a DenseNet classifier, not a segmenter")
    case .resNet: throw EngineError.invalidConfiguration("this checkpoint holds a ResNet classifier, not a segmenter")
    }
  }

  /// The network in a few words, for reports and progress output.
  public var summary: String {
    func list(_ values: [Int]) -> String { values.map(String.init).joined(separator: "-") }
    return switch self {
    case .denseNet(let configuration):
      "DenseNet k \(configuration.growthRate), blocks \(list(configuration.blockLayers)), stem \(configuration.initialFeatures)"
    case .resNet(let configuration):
      "ResNet blocks \(list(configuration.blockLayers)), widths \(list(configuration.widths)), stem \(configuration.initialFeatures)"
    case .uNet(let configuration):
      "U-Net depth \(configuration.depth), base width \(configuration.baseWidth), \(configuration.upsampling.rawValue) upsampling"
    }
  }

  /// Whether the network labels pixels (a segmenter) rather than images.
  public var isSegmenter: Bool {
    if case .uNet = self { return true }
    return false
  }

  public var classCount: Int {
    switch self {
    case .denseNet(let configuration): configuration.classCount
    case .resNet(let configuration): configuration.classCount
    case .uNet(let configuration): configuration.classCount
    }
  }

  public var inputChannels: Int {
    switch self {
    case .denseNet(let configuration): configuration.inputChannels
    case .resNet(let configuration): configuration.inputChannels
    case .uNet(let configuration): configuration.inputChannels
    }
  }
}
