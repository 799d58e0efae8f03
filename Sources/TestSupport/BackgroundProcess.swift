import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A server a test starts (storescp, a daemon) and must not leave behind: `stop()` sends SIGTERM, waits, and
/// kills after a grace period; it runs on deinit too, so a failing test still ends its process. Output goes to a
/// log file the test can show.
///
/// Started with posix_spawn and an empty signal mask, as systemd starts a service. Foundation's `Process` hands
/// the child the spawning thread's mask, and test threads block SIGTERM: a storescp started that way ignored
/// `terminate()` and the test hung in `waitUntilExit()`.
public final class BackgroundProcess: @unchecked Sendable {
  public struct SpawnFailure: Error, CustomStringConvertible {
    public let executable: String
    public let code: Int32
    public var description: String { "cannot start \(executable): \(String(cString: strerror(code)))" }
  }

  public let logPath: String
  private let pid: pid_t
  private let lock = NSLock()
  private var exitStatus: Int32?

  /// Starts `executable` (an absolute path) with `arguments`; stdin is /dev/null, stdout and stderr go to `logPath`.
  /// `environment` replaces the inherited one when given.
  public init(_ executable: String, _ arguments: [String], logPath: String, environment: [String: String]? = nil) throws {
    self.logPath = logPath
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    // Not O_CLOEXEC: the child's standard output must survive its exec (dup2 below clears it for fd 2 only).
    posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let variables = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
    defer { variables?.forEach { free($0) } }
    var child = pid_t()
    let code = variables.map { posix_spawn(&child, executable, &actions, &attributes, argv, $0) }
      ?? posix_spawn(&child, executable, &actions, &attributes, argv, environ)
    guard code == 0 else { throw SpawnFailure(executable: executable, code: code) }
    pid = child
  }

  public var isRunning: Bool { reap(waiting: false) == nil }

  public var processIdentifier: Int32 { pid }

  /// Sends `signal` unless the process has ended (and been reaped: its pid may be reused).
  public func send(_ signal: Int32) {
    if isRunning { kill(pid, signal) }
  }

  /// The wait status once the process ends, or nil after `timeout` seconds.
  public func waitForExit(timeout: Double) -> Int32? {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
      if let status = reap(waiting: false) { return status }
      Thread.sleep(forTimeInterval: 0.05)
    } while Date() < deadline
    return reap(waiting: false)
  }

  /// What the process wrote so far.
  public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

  /// SIGTERM, then SIGKILL if the process is still there after `grace` seconds; returns the wait status.
  @discardableResult
  public func stop(grace: Double = 10) -> Int32 {
    send(SIGTERM)
    if let status = waitForExit(timeout: grace) { return status }
    send(SIGKILL)
    return reap(waiting: true) ?? -1
  }

  /// The wait status once the process has ended (reaped once, remembered after), nil while it runs.
  private func reap(waiting: Bool) -> Int32? {
    lock.lock()
    defer { lock.unlock() }
    if let exitStatus { return exitStatus }
    var status: Int32 = 0
    guard waitpid(pid, &status, waiting ? 0 : WNOHANG) == pid else { return nil }
    exitStatus = status
    return status
  }

  deinit { stop() }
}
