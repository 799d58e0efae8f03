/// Failures of the engine that are not libtorch's own (those arrive as `TorchError`).
public enum EngineError: Error, Equatable, CustomStringConvertible {
  case invalidConfiguration(String)
  case invalidInput(String)
  case checkpoint(String)

  public var description: String {
    switch self {
    case .invalidConfiguration(let message): "invalid configuration: \(message)"
    case .invalidInput(let message): "invalid input: \(message)"
    case .checkpoint(let message): "checkpoint: \(message)"
    }
  }
}
