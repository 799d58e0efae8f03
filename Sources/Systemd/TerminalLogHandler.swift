import Glibc
public import Logging

/// A swift-log handler for people reading standard error: one line per entry,
///
///     2026-12-03T20:05:01.123+01:00 info     screened 1.2.3.4: pneumonia 0.93 ISNETD_EVENT=screened ISNETD_SOP_INSTANCE_UID=1.2.3.4
///
/// local time with milliseconds and offset, level padded to line up, the message (newlines written as
/// `\n`), then the fields as NAME=value sorted by name. Fields are collected, named and stripped of
/// patient data as `JournalLogHandler` does; MESSAGE_ID, meant for journal filters, is left out.
/// Values with spaces, quotes, `=` or control characters are quoted Swift-style.
public struct TerminalLogHandler: LogHandler {
  public var logLevel: Logger.Level
  public var metadata: Logger.Metadata = [:]
  public var metadataProvider: Logger.MetadataProvider?
  /// Where lines go; the handler neither opens nor closes it.
  public let fileDescriptor: Int32

  public init(
    fileDescriptor: Int32 = 2 /* standard error */, logLevel: Logger.Level = .info,
    metadataProvider: Logger.MetadataProvider? = nil
  ) {
    self.fileDescriptor = fileDescriptor
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
    Self.write(Self.line(level: event.level, message: "\(event.message)", fields: fields), to: fileDescriptor)
  }

  static let hiddenFields: Set<String> = ["MESSAGE_ID"]

  /// One entry as a line ending in a newline.
  static func line(level: Logger.Level, message: String, fields: [(name: String, value: String)]) -> String {
    let levelName = level.rawValue
    var line = timestamp() + " " + levelName + String(repeating: " ", count: max(0, 8 - levelName.count)) + " "
    line += message.replacing("\r", with: "\\r").replacing("\n", with: "\\n")
    for field in fields where !hiddenFields.contains(field.name) {
      line += " \(field.name)=\(quotedIfNeeded(field.value))"
    }
    return line + "\n"
  }

  static func quotedIfNeeded(_ value: String) -> String {
    let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
      scalar == "\"" || scalar == "=" || scalar == "\\" || scalar.properties.isWhitespace
        || scalar.properties.generalCategory == .control
    }
    return needsQuotes ? value.debugDescription : value
  }

  /// Now as RFC 3339 local time with milliseconds: 2026-12-03T20:05:01.123+01:00.
  static func timestamp() -> String {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    var local = tm()
    localtime_r(&now.tv_sec, &local)
    var buffer = [CChar](repeating: 0, count: 40)
    let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &local)
    let seconds = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let milliseconds = Int(now.tv_nsec) / 1_000_000
    let offset = abs(local.tm_gmtoff) / 60
    func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return seconds + "." + String(1000 + milliseconds).dropFirst() + (local.tm_gmtoff < 0 ? "-" : "+")
      + twoDigits(offset / 60) + ":" + twoDigits(offset % 60)
  }

  /// Writes all of `text` with as few write(2) calls as the descriptor allows (one for a line up to
  /// PIPE_BUF, so lines from several threads do not interleave). A descriptor that refuses (closed,
  /// full non-blocking pipe) loses the line: logging must never stop the caller.
  static func write(_ text: String, to fileDescriptor: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
      let written = bytes.withUnsafeBytes { Glibc.write(fileDescriptor, $0.baseAddress, $0.count) }
      if written < 0 && errno == EINTR { continue }
      if written <= 0 { return }
      bytes = bytes.dropFirst(written)
    }
  }
}
