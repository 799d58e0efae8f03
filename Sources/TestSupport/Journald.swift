import Foundation

/// Makes sure a systemd-journald is listening, starting one when none runs (containers and CI machines
/// whose PID 1 is not systemd). Returns nil when ready, or the reason it could not start.
public enum Journald {
  public static let socketPath = "/run/systemd/journal/socket"
  static let daemonPath = "/lib/systemd/systemd-journald"

  private static let lock = NSLock()
  nonisolated(unsafe) private static var started: Process?

  public static func ensureRunning() -> String? {
    lock.lock()
    defer { lock.unlock() }
    // The socket file alone proves nothing: a journald that has exited leaves it behind, and a
    // datagram sent to it is refused (seen on CI). Only a successful connect means someone listens.
    if isListening() { return nil }
    guard FileManager.default.isExecutableFile(atPath: daemonPath) else { return "\(daemonPath) is not installed" }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: daemonPath)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return "cannot start \(daemonPath): \(error)" }
    started = process
    for _ in 0..<100 where !isListening() {
      Thread.sleep(forTimeInterval: 0.05)
    }
    return isListening() ? nil : "\(daemonPath) started but does not listen on \(socketPath)"
  }

  /// Whether journald's native socket accepts datagrams (a stale socket file refuses them).
  static func isListening() -> Bool {
    (try? UnixDatagramSocket())?.connects(to: socketPath) ?? false
  }

  /// Entries of the journal matching `match` (FIELD=value), as JSON objects.
  public static func entries(matching match: String) throws -> [[String: Any]] {
    let output = try Command.run("journalctl", ["--no-pager", "-o", "json", match])
    return output.split(separator: "\n").compactMap { line in
      (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
  }

  /// Entries matching `match`, polled until at least one arrives (journald writes them asynchronously)
  /// or five seconds pass; empty then.
  public static func awaitEntries(matching match: String) throws -> [[String: Any]] {
    for _ in 0..<50 {
      let found = try entries(matching: match)
      if !found.isEmpty { return found }
      Thread.sleep(forTimeInterval: 0.1)
    }
    return []
  }
}
