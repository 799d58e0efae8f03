public import Screening

/// Why a retrain could not run or finish: a closed set of codes for the journal and the terminal.
public struct RetrainError: CodedError, Sendable, Equatable, CustomStringConvertible {
  public enum Code: String, ProblemCode, Codable {
    /// Another retrain holds the registry's retrain lock.
    case alreadyRunning = "retrain_already_running"
    /// No labelled data folder is configured (`retrain.data`).
    case dataNotConfigured = "training_data_not_configured"
    /// A part of the frozen split holds too few usable images to train, validate or calibrate.
    case tooFewImages = "too_few_training_images"
    /// The model that serves now (registry or configured) could not be loaded.
    case currentModelUnavailable = "current_model_unavailable"
    /// The model registry could not be read or changed.
    case registryFailed = "registry_failed"

    public var sentence: String {
      switch self {
      case .alreadyRunning: "Another retrain is running; this one did not start."
      case .dataNotConfigured: "No labelled data folder is configured for retraining."
      case .tooFewImages: "The labelled data holds too few usable images to retrain."
      case .currentModelUnavailable: "The model that serves now could not be loaded."
      case .registryFailed: "The model registry could not be read or changed."
      }
    }
  }

  public let code: Code
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }
}
