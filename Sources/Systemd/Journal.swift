internal import CSystemd
import Glibc

/// Structured entries for the systemd journal through `sd_journal_sendv`.
public enum Journal {
  /// Syslog priorities as journald stores them in PRIORITY.
  public enum Priority: Int, Sendable, Comparable {
    case emergency = 0, alert, critical, error, warning, notice, info, debug

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rawValue < rhs.rawValue }
  }

  /// Sends one entry. Custom field names are normalised with `fieldName(_:)`, since journald silently
  /// drops names with lower-case letters. Values may contain newlines and any bytes.
  public static func send(
    _ message: String, priority: Priority = .info, fields: [(name: String, value: String)] = []
  ) throws(JournalError) {
    var entries = ["MESSAGE=\(message)", "PRIORITY=\(priority.rawValue)"]
    for field in fields {
      guard let name = fieldName(field.name) else {
        throw JournalError(errno: EINVAL, detail: "field name \"\(field.name)\" has no usable characters")
      }
      entries.append("\(name)=\(field.value)")
    }
    let buffers = entries.map { Array($0.utf8) }
    let result = withIOVectors(buffers) { vectors in sd_journal_sendv(vectors.baseAddress, Int32(vectors.count)) }
    if result < 0 { throw JournalError(errno: -result, detail: "sd_journal_sendv") }
  }

  /// A journald field name for `name`: upper-cased, every character outside A-Z, 0-9 and "_" replaced
  /// by "_", leading underscores (reserved for trusted fields) and digits removed, at most 64 characters.
  /// Nil when nothing usable is left.
  public static func fieldName(_ name: String) -> String? {
    let mapped = name.uppercased().unicodeScalars.map { scalar -> Character in
      switch scalar {
      case "A"..."Z", "0"..."9", "_": Character(scalar)
      default: "_"
      }
    }
    let trimmed = String(mapped.drop { $0 == "_" || $0.isNumber }.prefix(64))
    return trimmed.isEmpty ? nil : trimmed
  }
}

/// An error from libsystemd, carrying the errno it returned.
public struct JournalError: Error, Equatable, CustomStringConvertible, Sendable {
  public let errno: Int32
  public let detail: String

  public var description: String { "\(detail): \(String(cString: strerror(errno)))" }
}

/// Lends byte buffers to C as an iovec array.
func withIOVectors<Result>(_ buffers: [[UInt8]], _ body: (UnsafeBufferPointer<iovec>) -> Result) -> Result {
  func lend(_ index: Int, _ vectors: inout [iovec]) -> Result {
    if index == buffers.count { return vectors.withUnsafeBufferPointer(body) }
    return buffers[index].withUnsafeBytes { bytes in
      vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress), iov_len: bytes.count))
      return lend(index + 1, &vectors)
    }
  }
  var vectors: [iovec] = []
  vectors.reserveCapacity(buffers.count)
  return lend(0, &vectors)
}
