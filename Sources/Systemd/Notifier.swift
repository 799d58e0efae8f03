internal import CSystemd
import Glibc

/// Tells the service manager about the daemon's state (`sd_notify`). Without `$NOTIFY_SOCKET` (not
/// started by systemd with Type=notify) every call is a no-op that returns false.
public struct Notifier: Sendable {
  public init() {}

  /// Whether the service manager listens ($NOTIFY_SOCKET is set).
  public var isActive: Bool { getenv("NOTIFY_SOCKET") != nil }

  /// Sends `state` (newline-separated KEY=VALUE assignments); returns whether it was delivered.
  @discardableResult
  public func notify(_ state: String) throws(JournalError) -> Bool {
    let result = sd_notify(0, state)
    if result < 0 { throw JournalError(errno: -result, detail: "sd_notify") }
    return result > 0
  }

  /// READY=1 with a status line for `systemctl status`.
  @discardableResult
  public func ready(status: String) throws(JournalError) -> Bool {
    try notify("READY=1\nSTATUS=\(status)")
  }

  @discardableResult
  public func status(_ text: String) throws(JournalError) -> Bool { try notify("STATUS=\(text)") }

  @discardableResult
  public func watchdog() throws(JournalError) -> Bool { try notify("WATCHDOG=1") }

  @discardableResult
  public func stopping() throws(JournalError) -> Bool { try notify("STOPPING=1") }

  /// The watchdog interval systemd expects, or nil when no watchdog is configured for this process.
  public var watchdogInterval: Duration? {
    var microseconds: UInt64 = 0
    guard sd_watchdog_enabled(0, &microseconds) > 0 else { return nil }
    return .microseconds(Int64(microseconds))
  }
}
