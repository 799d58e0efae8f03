import Foundation

/// Error text for people. Foundation's file errors and JSON decoding errors print as
/// "Error Domain=NSCocoaErrorDomain Code=260 ..." and "keyNotFound(CodingKeys(stringValue: ...": these
/// say what failed, on which file or key, in a sentence. Other errors keep their own description.
public enum PlainErrorText {
  public static func of(_ error: any Error) -> String {
    if let decoding = error as? DecodingError { return describe(decoding) }
    if let cocoa = error as? CocoaError { return describe(cocoa) }
    return "\(error)"
  }

  /// Whether `of(_:)` rewrites the error's text.
  public static func rewrites(_ error: any Error) -> Bool { error is DecodingError || error is CocoaError }

  private static func describe(_ error: DecodingError) -> String {
    func place(_ context: DecodingError.Context) -> String {
      let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
      return path.isEmpty ? "at the top level" : "at \(path)"
    }
    switch error {
    case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)' \(place(context))"
    case .valueNotFound(_, let context): return "missing value \(place(context))"
    case .typeMismatch(_, let context), .dataCorrupted(let context): return "\(context.debugDescription) (\(place(context)))"
    @unknown default: return "invalid JSON"
    }
  }

  private static func describe(_ error: CocoaError) -> String {
    let path = error.userInfo[NSFilePathErrorKey] as? String ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    // Foundation numbers file write errors 512 to 639 (NSFileWriteErrorMinimum ... Maximum).
    let verb = (512...639).contains(error.code.rawValue) ? "cannot write" : "cannot read"
    let reason: String
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      reason = String(cString: strerror(Int32(underlying.code)))
    } else {
      switch error.code {
      case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file"
      case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
      case .fileWriteOutOfSpace: reason = "no space left on device"
      case .fileWriteVolumeReadOnly: reason = "read-only file system"
      case .fileWriteFileExists: reason = "the file exists"
      case .fileReadCorruptFile: reason = "the file is damaged"
      case .fileReadTooLarge: reason = "the file is too large"
      default: reason = "file error \(error.code.rawValue)"
      }
    }
    return path.map { "\(verb) \($0): \(reason)" } ?? "\(verb): \(reason)"
  }
}
