/// Which network a checkpoint holds, with its hyperparameters, so the network can be rebuilt.
/// Encoded as `{"kind": "densenet", "parameters": {...}}`.
public enum Architecture: Codable, Sendable, Equatable {
  case denseNet(DenseNetConfiguration)

  private enum CodingKeys: String, CodingKey { case kind, parameters }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let kind = try container.decode(String.self, forKey: .kind)
    switch kind {
    case "densenet": self = .denseNet(try container.decode(DenseNetConfiguration.self, forKey: .parameters))
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
    }
  }

  /// A freshly initialised classifier of this architecture.
  public func makeClassifier() throws -> any Classifier {
    switch self {
    case .denseNet(let configuration): try DenseNet(configuration)
    }
  }

  public var classCount: Int {
    switch self {
    case .denseNet(let configuration): configuration.classCount
    }
  }

  public var inputChannels: Int {
    switch self {
    case .denseNet(let configuration): configuration.inputChannels
    }
  }
}
