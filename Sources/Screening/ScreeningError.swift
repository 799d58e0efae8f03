public import DICOM
import Durable
import Engine
import PNG
import Torch

/// Why screening one image failed after its file was read: a closed set of codes, each with a fixed
/// sentence, plus a detail. Failures of the file itself are ``DICOMError``s; both reach reports,
/// terminals and (later) quarantine sidecars as a ``Problem``.
public struct ScreeningError: Error, Equatable, Sendable, CustomStringConvertible {
  public enum Code: String, Sendable, CaseIterable, Codable {
    /// A network failed on the image (libtorch's error in the detail).
    case modelFailed = "model_failed"
    /// A network's output held NaN or infinity; nothing computed from it is reported.
    case nonFiniteModelOutput = "non_finite_model_output"
    /// An output file exists already and was not written by this run (`--force` replaces it).
    case outputExists = "output_exists"
    /// An output could not be written (the system's reason in the detail).
    case outputFailed = "output_failed"

    /// One sentence for people, fixed per code.
    public var sentence: String {
      switch self {
      case .modelFailed: "A network failed on this image."
      case .nonFiniteModelOutput: "A network produced values that are not finite numbers for this image."
      case .outputExists: "An output for this image exists already; it was not replaced."
      case .outputFailed: "An output for this image could not be written."
      }
    }
  }

  public let code: Code
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { "\(code.rawValue): \(message)" }
}

/// A failure or a refusal in the form reports, terminals and logs share: a code from a closed set
/// (``DICOMError/Code`` or ``ScreeningError/Code``), its fixed sentence, and the detail.
public struct Problem: Codable, Sendable, Equatable, CustomStringConvertible {
  public let code: String
  public let sentence: String
  public let detail: String

  /// Every code a problem can carry, for schemas and documentation.
  public static let codes: [String] = DICOMError.Code.allCases.map(\.rawValue) + ScreeningError.Code.allCases.map(\.rawValue)

  /// A problem with a code of another closed set (the daemon's).
  public init(code: String, sentence: String, detail: String) {
    self.code = code
    self.sentence = sentence
    self.detail = detail
  }

  public init(_ error: DICOMError) {
    code = error.code.rawValue
    sentence = error.code.sentence
    detail = error.message
  }

  public init(_ error: ScreeningError) {
    code = error.code.rawValue
    sentence = error.code.sentence
    detail = error.message
  }

  /// The problem an error thrown while screening stands for: a library's failure inside a network is
  /// `model_failed`, one while writing is `output_failed`.
  public init(screening error: any Error) {
    switch error {
    case let error as DICOMError: self.init(error)
    case let error as ScreeningError: self.init(error)
    case let error as AtomicFileError: self.init(ScreeningError(.outputFailed, error.message))
    case let error as PNGError: self.init(ScreeningError(.outputFailed, error.message))
    case let error as TorchError: self.init(ScreeningError(.modelFailed, error.description))
    case let error as EngineError: self.init(ScreeningError(.modelFailed, error.description))
    default: self.init(ScreeningError(.modelFailed, String(describing: error)))
    }
  }

  /// The problem an error thrown while writing outputs stands for: `output_failed` with its reason.
  public init(writing error: any Error) {
    switch error {
    case let error as ScreeningError: self.init(error)
    case let error as AtomicFileError: self.init(ScreeningError(.outputFailed, error.message))
    default: self.init(ScreeningError(.outputFailed, String(describing: error)))
    }
  }

  /// Whether the file was fine but is not for this model (an acceptance rule), rather than a failure.
  public var isNotScreened: Bool { DICOMError.Code(rawValue: code)?.isNotScreened ?? false }

  /// "code: sentence detail".
  public var description: String { detail.isEmpty ? "\(code): \(sentence)" : "\(code): \(sentence) \(detail)" }
}
