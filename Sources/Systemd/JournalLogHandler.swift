import Glibc
public import Logging
import Synchronization

/// A swift-log handler that writes structured entries to the systemd journal (`Journal.send`, over
/// `sd_journal_sendv`).
///
/// Each entry carries MESSAGE, PRIORITY (from the level: trace and debug 7, info 6, notice 5, warning 4,
/// error 3, critical 2), SYSLOG_IDENTIFIER, CODE_FILE, CODE_LINE, CODE_FUNC, and the metadata as
/// custom fields: upper-cased, patient fields dropped, arrays and dictionaries flattened (see
/// `LogFields`). A logged error adds ERROR_MESSAGE and ERROR_TYPE.
///
/// When the journal refuses an entry (no journald listening, for one), the entry is written to
/// standard error in `TerminalLogHandler`'s format instead and counted in `undeliveredEntries`; the
/// first refusal after a delivered entry also writes a line saying why. Every entry tries the journal
/// first, so delivery resumes by itself when journald comes back. Like every native journal client
/// (and like standard error connected to the journal), a send can block while journald's receive
/// queue is full; it never blocks on a journald that is gone.
public struct JournalLogHandler: LogHandler {
  public var logLevel: Logger.Level
  public var metadata: Logger.Metadata = [:]
  public var metadataProvider: Logger.MetadataProvider?
  /// SYSLOG_IDENTIFIER of every entry (`journalctl -t` filters on it).
  public let syslogIdentifier: String

  public init(syslogIdentifier: String, logLevel: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil) {
    self.syslogIdentifier = syslogIdentifier
    self.logLevel = logLevel
    self.metadataProvider = metadataProvider
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    let fields = LogFields.collect(
      handler: metadata, provider: metadataProvider, call: event.metadata, error: event.error)
    let message = "\(event.message)"
    let location: [(name: String, value: String)] = [
      ("SYSLOG_IDENTIFIER", syslogIdentifier), ("CODE_FILE", event.file), ("CODE_LINE", "\(event.line)"),
      ("CODE_FUNC", event.function),
    ]
    do {
      try Journal.send(message, priority: Journal.Priority(event.level), fields: location + fields)
      Self.journalRefuses.store(false, ordering: .relaxed)
    } catch {
      Self.undelivered.add(1, ordering: .relaxed)
      if !Self.journalRefuses.exchange(true, ordering: .relaxed) {
        TerminalLogHandler.write(
          TerminalLogHandler.line(
            level: .warning, message: "the journal refuses entries (\(error)); they follow on standard error",
            fields: []),
          to: STDERR_FILENO)
      }
      TerminalLogHandler.write(TerminalLogHandler.line(level: event.level, message: message, fields: fields), to: STDERR_FILENO)
    }
  }

  /// Entries this process could not deliver to the journal (and wrote to standard error instead).
  public static var undeliveredEntries: Int { undelivered.load(ordering: .relaxed) }

  // Process-wide, like libsystemd's journal socket: every handler copy sends through the same one.
  private static let undelivered = Atomic<Int>(0)
  private static let journalRefuses = Atomic<Bool>(false)
}

extension Journal.Priority {
  /// The syslog priority for a swift-log level (syslog has no trace: it shares debug).
  public init(_ level: Logger.Level) {
    switch level {
    case .trace, .debug: self = .debug
    case .info: self = .info
    case .notice: self = .notice
    case .warning: self = .warning
    case .error: self = .error
    case .critical: self = .critical
    }
  }
}
