import Glibc
public import Screening

/// A failure of the daemon's own (not the pipeline's): a closed set of codes, each with a fixed
/// sentence, plus a detail. Codes that end an input reach its quarantine sidecar and the journal.
public struct DaemonError: CodedError, Sendable, Equatable, CustomStringConvertible {
  public enum Code: String, ProblemCode, Codable {
    /// Another input with other bytes has the same SOP Instance UID and so the same outputs; the
    /// first one's stay (an instance is never silently replaced).
    case sopInstanceUIDConflict = "sop_instance_uid_conflict"
    /// The process died while screening this file twice: it is set aside so it cannot keep the
    /// service in a crash loop.
    case crashedDuringProcessing = "crashed_during_processing"
    /// A file in the work area that the ledger does not know (a ledger was removed or replaced).
    case unknownWorkFile = "unknown_work_file"
    /// An inbox file could not be moved into the work area.
    case claimFailed = "claim_failed"
    /// A file could not be archived, deleted or quarantined.
    case disposalFailed = "disposal_failed"
    /// The inbox could not be watched.
    case watchFailed = "watch_failed"
    /// The state directory or its ledger could not be used.
    case stateFailed = "state_failed"

    public var sentence: String {
      switch self {
      case .sopInstanceUIDConflict: "Another file with the same SOP Instance UID but other content was reported first; this one was not screened."
      case .crashedDuringProcessing: "isnetd stopped abnormally twice while screening this file; it was set aside."
      case .unknownWorkFile: "This file was in isnetd's work area without a ledger entry."
      case .claimFailed: "The file could not be taken from the inbox."
      case .disposalFailed: "The file could not be archived, deleted or quarantined."
      case .watchFailed: "The inbox could not be watched."
      case .stateFailed: "The state directory could not be used."
      }
    }
  }

  public let code: Code
  public let message: String
  /// The system's reason ("Permission denied (errno 13)") when a system call failed, apart from the
  /// message, which names paths.
  public let systemReason: String?

  public init(_ code: Code, _ message: String, systemReason: String? = nil) {
    self.code = code
    self.message = message
    self.systemReason = systemReason
  }

  /// `what` with the current errno's text.
  static func system(_ code: Code, _ what: String) -> DaemonError {
    let number = errno
    let reason = "\(String(cString: strerror(number))) (errno \(number))"
    return DaemonError(code, "\(what): \(reason)", systemReason: reason)
  }

  public var description: String { "\(code.rawValue): \(message)" }

  /// The problem form reports and sidecars share.
  public var problem: Problem { Problem(self) }
}
