import Glibc
public import Logging

/// Where log entries go: the journal as structured entries, or standard error as readable lines.
/// The raw values are the spellings for a configuration key or command-line option.
public enum LogDestination: String, Sendable, CaseIterable, Codable {
  /// The journal when standard error is connected to it (a systemd service), else standard error.
  case automatic
  case journal
  case standardError = "stderr"

  /// `.journal` or `.standardError`, never `.automatic`. `journalStream` is $JOURNAL_STREAM.
  public func resolved(journalStream: String? = Self.journalStreamVariable) -> LogDestination {
    switch self {
    case .automatic: Self.standardErrorIsJournal(journalStream: journalStream) ? .journal : .standardError
    case .journal, .standardError: self
    }
  }

  /// Whether standard error is the journal stream systemd connected: systemd sets $JOURNAL_STREAM to
  /// "device:inode" (decimal) of that stream, and it only counts while file descriptor 2 is still that
  /// file, not, say, redirected by a shell started from the service (systemd.exec(5), "$JOURNAL_STREAM").
  public static func standardErrorIsJournal(journalStream: String?) -> Bool {
    guard let parts = journalStream?.split(separator: ":", omittingEmptySubsequences: false), parts.count == 2,
      let device = UInt64(parts[0]), let inode = UInt64(parts[1])
    else { return false }
    var status = stat()
    guard fstat(STDERR_FILENO, &status) == 0 else { return false }
    return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
  }

  /// The current value of $JOURNAL_STREAM.
  public static var journalStreamVariable: String? { getenv("JOURNAL_STREAM").map { String(cString: $0) } }

  /// A factory for `LoggingSystem.bootstrap`, resolving `.automatic` once, now: every logger gets a
  /// `JournalLogHandler` tagged `syslogIdentifier`, or a `TerminalLogHandler` on standard error. The
  /// logger label is not written.
  public func handlerFactory(
    syslogIdentifier: String, logLevel: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil
  ) -> @Sendable (_ label: String) -> any LogHandler {
    switch resolved() {
    case .journal:
      { _ in JournalLogHandler(syslogIdentifier: syslogIdentifier, logLevel: logLevel, metadataProvider: metadataProvider) }
    case .automatic, .standardError:
      { _ in TerminalLogHandler(logLevel: logLevel, metadataProvider: metadataProvider) }
    }
  }
}
