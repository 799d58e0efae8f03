import Daemon
import Foundation
import Glibc
import TestSupport

/// The built `isnetd` executable, beside this test binary in the products folder.
let isnetdExecutable = BuildProducts.executable("isnetd")

/// A daemon's folders under a fresh temporary directory, and its configuration file.
final class DaemonFolders {
  let directory: TemporaryDirectory
  var inbox: String { directory.path("inbox") }
  var outbox: String { directory.path("outbox") }
  var state: String { directory.path("state") }
  var quarantine: String { state + "/quarantine" }
  var archive: String { state + "/archive" }
  var configPath: String { directory.path("isnetd.conf") }

  /// `settings` (YAML values by key) replace the tests' defaults. Pictures are off by default here:
  /// the tests are about moving files, and the picture is the costliest output of a debug build.
  init(_ settings: [String: String] = [:]) throws {
    directory = try TemporaryDirectory(prefix: "isnetd-daemon")
    try FileManager.default.createDirectory(atPath: directory.path("inbox"), withIntermediateDirectories: false)
    try writeConfiguration(settings)
  }

  func writeConfiguration(_ settings: [String: String]) throws {
    let defaults = ["inbox": inbox, "outbox": outbox, "state": state, "outputs": "[]", "settle_seconds": "0.5",
                    "rescan_seconds": "5", "threads": "2"]
    let lines = defaults.merging(settings) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
    try lines.joined(separator: "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
  }

  /// Report files in the outbox (never temporary dotfiles).
  func reports() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
  }

  func report(_ name: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outbox + "/" + name))) as! [String: Any]
  }

  func sidecars() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: quarantine)) ?? []).filter { $0.hasSuffix(".error.json") }.sorted()
  }

  func sidecar(_ name: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: quarantine + "/" + name))) as! [String: Any]
  }

  /// Every file below `folder`, relative, dotfiles included.
  func files(in folder: String) -> [String] {
    (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter {
      var isFolder: ObjCBool = false
      return FileManager.default.fileExists(atPath: folder + "/" + $0, isDirectory: &isFolder) && !isFolder.boolValue
    }.sorted()
  }

  func ledgerEntries() throws -> [LedgerEntry] {
    try Ledger(path: state + "/ledger.sqlite", readOnly: true).entries(in: InputState.allCases)
  }
}

/// `isnetd serve` in a child process (started as systemd starts a service: no signal blocked), its
/// output in a file, never left running after a test.
final class DaemonProcess {
  let process: BackgroundProcess
  /// The ledger, where the daemon records its run only after its signal handlers are in place.
  let ledgerPath: String

  init(_ folders: DaemonFolders, arguments: [String] = [], environment: [String: String] = [:]) throws {
    ledgerPath = folders.state + "/ledger.sqlite"
    var variables = ProcessInfo.processInfo.environment
    variables["OPENBLAS_NUM_THREADS"] = "1"
    for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM"] { variables[name] = nil }
    variables.merge(environment) { $1 }
    process = try BackgroundProcess(
      isnetdExecutable, ["serve", "--config", folders.configPath, "--log", "stderr"] + arguments,
      logPath: folders.directory.path("daemon-\(UUID().uuidString.prefix(8)).log"), environment: variables)
  }

  var log: String { process.log }
  var processIdentifier: Int32 { process.processIdentifier }

  func send(_ signal: Int32) { process.send(signal) }

  /// The wait status once the daemon ends (0: exit 0), or nil after `timeout` seconds.
  func waitForExit(timeout: Double) -> Int32? { process.waitForExit(timeout: timeout) }

  /// Whether the daemon has recorded its run in the ledger (its signal handlers are in place by then).
  var isRunRecorded: Bool {
    (try? Ledger(path: ledgerPath, readOnly: true).lastRun()?.processID) == processIdentifier
  }

  /// SIGTERM once the daemon handles it (a signal during the first milliseconds of a process, before
  /// any handler exists, ends it as the default action does, like any program), then its wait status.
  func stop(timeout: Double = 60) -> Int32? {
    _ = eventually(timeout: 60) { !process.isRunning || (FileManager.default.fileExists(atPath: ledgerPath) && isRunRecorded) }
    send(SIGTERM)
    return waitForExit(timeout: timeout)
  }

  /// SIGKILL, and waits for the end.
  func killNow() {
    send(SIGKILL)
    _ = waitForExit(timeout: 10)
  }
}

/// Polls `condition` every 50 ms for up to `timeout` seconds; whether it became true.
func eventually(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  repeat {
    if try condition() { return true }
    usleep(50_000)
  } while Date() < deadline
  return try condition()
}
