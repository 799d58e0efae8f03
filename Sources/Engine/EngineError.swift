/// Failures of the engine that are not libtorch's own (those arrive as `TorchError`).
public enum EngineError: Error, Equatable, CustomStringConvertible {
  case invalidConfiguration(String)
  case invalidInput(String)
  case checkpoint(String)
  /// A checkpoint sidecar value that is out of range, contradicts another value, or is not confirmed by
  /// the weights' names and shapes. `field` is the value's JSON path in the sidecar
  /// ("input.preprocessing.width", "architecture.parameters.blockLayers"); `message` says why, with the path.
  case checkpointField(field: String, message: String)
  /// A weights tensor holds NaN or infinity; `tensor` is its state-dict name.
  case nonFiniteWeights(tensor: String, message: String)

  public var description: String {
    switch self {
    case .invalidConfiguration(let message): "invalid configuration: \(message)"
    case .invalidInput(let message): "invalid input: \(message)"
    case .checkpoint(let message): "checkpoint: \(message)"
    case .checkpointField(let field, let message): "checkpoint: \(field): \(message)"
    case .nonFiniteWeights(let tensor, let message): "checkpoint: \(tensor): \(message)"
    }
  }
}
