/// Failures of the engine that are not libtorch's own (those arrive as `TorchError`). Each case has a
/// code from a closed set (``code``) with a fixed sentence, for reports and logs; the cases keep what a
/// caller may act on (the sidecar field, the tensor's name).
public enum EngineError: Error, Equatable, CustomStringConvertible, Sendable {
  case invalidConfiguration(String)
  case invalidInput(String)
  /// A checkpoint file that cannot be read: missing, not a regular file, unreadable, or too large.
  case checkpointUnreadable(String)
  /// A checkpoint that was read but is not a valid one, or not one for the model asked for.
  case checkpoint(String)
  /// A checkpoint sidecar value that is out of range, contradicts another value, or is not confirmed by
  /// the weights' names and shapes. `field` is the value's JSON path in the sidecar
  /// ("input.preprocessing.width", "architecture.parameters.blockLayers"); `message` says why, with the path.
  case checkpointField(field: String, message: String)
  /// A weights tensor holds NaN or infinity; `tensor` is its state-dict name.
  case nonFiniteWeights(tensor: String, message: String)

  public enum Code: String, Sendable, CaseIterable, Codable {
    /// A network's sizes or a training setting that cannot work (a depth out of range, a wrong class count).
    case invalidConfiguration = "invalid_configuration"
    /// Tensors or data of the wrong shape or kind for the network, loss or trainer given them.
    case invalidInput = "invalid_input"
    /// A checkpoint file is missing, not a regular file, unreadable or too large.
    case checkpointUnreadable = "checkpoint_unreadable"
    /// A checkpoint is damaged, does not match its sidecar, or holds another kind of model.
    case checkpointInvalid = "checkpoint_invalid"
    /// A checkpoint sidecar value is out of range or not confirmed by the weights (the field in the detail).
    case checkpointValueInvalid = "checkpoint_value_invalid"
    /// A checkpoint's weights hold NaN or infinity (the tensor in the detail).
    case nonFiniteWeights = "non_finite_weights"

    /// One sentence for people, fixed per code.
    public var sentence: String {
      switch self {
      case .invalidConfiguration: "A network or training setting is not one that can work."
      case .invalidInput: "A network, loss or trainer was given data of the wrong shape or kind."
      case .checkpointUnreadable: "A checkpoint file could not be read."
      case .checkpointInvalid: "A checkpoint is damaged, does not match its sidecar, or holds another kind of model."
      case .checkpointValueInvalid: "A value in a checkpoint's sidecar is out of range or contradicted by its weights."
      case .nonFiniteWeights: "A checkpoint's weights hold values that are not finite numbers."
      }
    }
  }

  public var code: Code {
    switch self {
    case .invalidConfiguration: .invalidConfiguration
    case .invalidInput: .invalidInput
    case .checkpointUnreadable: .checkpointUnreadable
    case .checkpoint: .checkpointInvalid
    case .checkpointField: .checkpointValueInvalid
    case .nonFiniteWeights: .nonFiniteWeights
    }
  }

  /// The detail, naming the field or tensor where there is one.
  public var message: String {
    switch self {
    case .invalidConfiguration(let message), .invalidInput(let message), .checkpointUnreadable(let message),
         .checkpoint(let message):
      message
    case .checkpointField(let field, let message): "\(field): \(message)"
    case .nonFiniteWeights(let tensor, let message): "\(tensor): \(message)"
    }
  }

  public var description: String {
    switch self {
    case .invalidConfiguration: "invalid configuration: \(message)"
    case .invalidInput: "invalid input: \(message)"
    case .checkpointUnreadable, .checkpoint, .checkpointField, .nonFiniteWeights: "checkpoint: \(message)"
    }
  }
}
