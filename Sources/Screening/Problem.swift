public import DICOM
public import Durable
public import Engine
import PNG
import Torch

/// A failure or a refusal in the form reports, terminals, quarantine sidecars and logs share: a code
/// from a closed set, its fixed sentence, and the detail. Every ``CodedError`` makes one.
public struct Problem: Codable, Sendable, Equatable, CustomStringConvertible {
  public let code: String
  public let sentence: String
  public let detail: String

  /// Every code a problem can carry, for schemas and documentation: reading the file (``DICOMError``),
  /// screening it (``ScreeningError``), the engine and checkpoints (``EngineError``), labelled data
  /// (``DatasetError``), atomic writes (``AtomicFileError``) and stop requests (``StopRequested``).
  public static let codes: [String] = rawValues(DICOMError.Code.self) + rawValues(ScreeningError.Code.self)
    + rawValues(EngineError.Code.self) + rawValues(DatasetError.Code.self) + rawValues(AtomicFileError.Code.self)
    + rawValues(StopRequested.Code.self)

  private static func rawValues<Code: ProblemCode>(_: Code.Type) -> [String] { Code.allCases.map(\.rawValue) }

  /// The error's own code, sentence and detail.
  public init(_ error: some CodedError) {
    code = error.code.rawValue
    sentence = error.code.sentence
    detail = error.message
  }

  /// The problem an error thrown while screening stands for: a library's failure inside a network is
  /// `model_failed`, one while writing is `output_failed`. A report says what went wrong with the
  /// image, so an engine error there (a model that does not fit the pipeline) is `model_failed` too.
  public init(screening error: any Error) {
    switch error {
    case let error as DICOMError: self.init(error)
    case let error as ScreeningError: self.init(error)
    case let error as AtomicFileError: self.init(writing: error)
    case let error as PNGError: self.init(ScreeningError(.outputFailed, error.message))
    case let error as TorchError: self.init(ScreeningError(.modelFailed, error.description))
    case let error as EngineError: self.init(ScreeningError(.modelFailed, error.description))
    default: self.init(ScreeningError(.modelFailed, String(describing: error)))
    }
  }

  /// The problem an error thrown while writing outputs stands for: `output_failed` with its reason. An
  /// ``AtomicFileError``'s own code (which step failed, with `errno`) stays in its detail; reports keep
  /// one code for every output that could not be written.
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

/// A closed set of error codes: stable snake_case raw values, one fixed sentence each.
public protocol ProblemCode: RawRepresentable<String>, CaseIterable, Sendable {
  /// One sentence for people, fixed per code.
  var sentence: String { get }
}

/// An error whose kind is a code from a closed set, plus a detail: what a ``Problem`` is made from.
public protocol CodedError: Error {
  associatedtype Code: ProblemCode
  var code: Code { get }
  /// The detail: what failed, naming the file, field or tensor, and a library's or the system's reason.
  var message: String { get }
}

extension DICOMError: CodedError {}
extension DICOMError.Code: ProblemCode {}
extension ScreeningError: CodedError {}
extension ScreeningError.Code: ProblemCode {}
extension EngineError: CodedError {}
extension EngineError.Code: ProblemCode {}
extension DatasetError: CodedError {}
extension DatasetError.Code: ProblemCode {}
extension AtomicFileError: CodedError {}
extension AtomicFileError.Code: ProblemCode {}
extension StopRequested: CodedError {}
extension StopRequested.Code: ProblemCode {}
