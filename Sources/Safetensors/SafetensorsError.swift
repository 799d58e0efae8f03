/// Why safetensors bytes could not be read or written: a closed set of machine-readable codes, a message,
/// and the tensor concerned when there is one.
public struct SafetensorsError: Error, Equatable, CustomStringConvertible, Sendable {
  /// What went wrong. The raw values are stable strings for reports, quarantine reasons and journald.
  public enum Code: String, Sendable, CaseIterable {
    /// The file ends before its declared end: shorter than the 8-byte header length, than the header, or
    /// than the data its tensors' offsets claim.
    case truncated
    /// The declared header length exceeds ``SafetensorsFile/maximumHeaderLength``, on reading or on writing.
    case headerTooLarge = "header_too_large"
    /// The header is not valid UTF-8 or not valid JSON.
    case invalidJSON = "invalid_json"
    /// The header is valid JSON but not a safetensors header: not an object, a tensor entry that is not an
    /// object or lacks `dtype`, `shape` or `data_offsets`, a field of the wrong type, a repeated field, or a
    /// `__metadata__` that does not map strings to strings.
    case invalidHeader = "invalid_header"
    /// A tensor's `dtype` is not one of ``SafetensorsDType``.
    case unknownDtype = "unknown_dtype"
    /// A shape has a negative dimension, or its element count overflows.
    case invalidShape = "invalid_shape"
    /// A tensor's byte count differs from its element count times its dtype's size (or does not fill whole
    /// bytes, for the sub-byte dtypes).
    case byteLengthMismatch = "byte_length_mismatch"
    /// A tensor's `data_offsets` are negative, reversed, overlap another tensor's, or leave a gap before it:
    /// the tensors must cover the data buffer contiguously.
    case invalidOffsets = "invalid_offsets"
    /// Bytes after the last tensor's end are covered by no tensor.
    case trailingData = "trailing_data"
    /// Two tensors share a name (also when the names are equal only under Unicode canonical equivalence,
    /// which Swift's `String` treats as the same name).
    case duplicateName = "duplicate_name"
    /// A tensor is named `__metadata__`, the key reserved for the metadata.
    case reservedName = "reserved_name"
    /// A tensor has another dtype than the accessor asked for.
    case dtypeMismatch = "dtype_mismatch"
    /// No tensor has the requested name.
    case missingTensor = "missing_tensor"
    /// A system call failed while reading or writing a file; the message holds the path and `strerror`.
    case io
  }

  /// The kind of failure.
  public let code: Code
  /// What is wrong, naming the tensor, the offsets or the path involved.
  public let message: String
  /// The name of the tensor the failure concerns, when it concerns one.
  public let tensor: String?

  /// Makes an error with `code` and `message`, about `tensor` when given.
  public init(_ code: Code, _ message: String, tensor: String? = nil) {
    self.code = code
    self.message = message
    self.tensor = tensor
  }

  /// `code: message`, for logs.
  public var description: String { "\(code.rawValue): \(message)" }
}
