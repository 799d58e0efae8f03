/// Why a DICOM file could not be read, as a closed set of machine-readable codes plus DCMTK's text.
public struct DICOMError: Error, Equatable, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable {
    /// The file has no DICOM Part 10 header ("DICM" preamble and file meta information).
    case notDICOM = "not_dicom"
    /// The data ends inside an element: truncated, or still being written.
    case truncated
    /// A requested attribute is absent.
    case missingAttribute = "missing_attribute"
    /// The pixel data is compressed with a transfer syntax no registered codec can decode.
    case unsupportedTransferSyntax = "unsupported_transfer_syntax"
    /// DCMTK rejected the file or its pixel data for another reason.
    case corrupt
    /// The file cannot be opened.
    case unreadable
  }

  public let code: Code
  /// DCMTK's own message, or ours where the check is ours.
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { "\(code.rawValue): \(message)" }
}
