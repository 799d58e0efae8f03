internal import CTorch

/// A failure reported by libtorch, carried across the C bridge as a value: no C++ exception ever
/// unwinds into Swift.
public struct TorchError: Error, Equatable, CustomStringConvertible, Sendable {
  /// What kind of C++ failure was caught at the bridge.
  public enum Code: String, Sendable {
    /// A `c10::Error` (shape mismatches, bad arguments, dtype problems, ...).
    case libtorch
    /// Another `std::exception`.
    case cxxException = "cxx_exception"
    /// An exception of unknown type.
    case unknown
    /// A precondition checked on the Swift side before calling libtorch.
    case invalidArgument = "invalid_argument"
  }

  public let code: Code
  public let message: String

  public init(code: Code, message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { "libtorch: \(message)" }

  static func invalidArgument(_ message: String) -> TorchError {
    TorchError(code: .invalidArgument, message: message)
  }
}

extension TorchError {
  init?(status: CTorchStatus) {
    let code: Code
    switch Int(status.code) {
    case Int(CTORCH_OK): return nil
    case Int(CTORCH_C10_ERROR): code = .libtorch
    case Int(CTORCH_STD_EXCEPTION): code = .cxxException
    default: code = .unknown
    }
    let message = withUnsafeBytes(of: status.message) { bytes in
      String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    self.init(code: code, message: message)
  }
}

/// Runs one bridge call with a fresh status and throws the error it reports, if any.
@inline(__always)
func withTorchStatus<Result>(_ body: (UnsafeMutablePointer<CTorchStatus>) -> Result) throws(TorchError) -> Result {
  var status = CTorchStatus()
  let result = body(&status)
  if let error = TorchError(status: status) { throw error }
  return result
}

/// Runs one bridge call that creates a tensor and takes ownership of it.
@inline(__always)
func makeTensor(_ body: (UnsafeMutablePointer<CTorchStatus>) -> OpaquePointer?) throws(TorchError) -> Tensor {
  let handle = try withTorchStatus(body)
  guard let handle else {
    throw TorchError(code: .unknown, message: "libtorch bridge returned no tensor and no error")
  }
  return Tensor(owning: handle)
}
