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
