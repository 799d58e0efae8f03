public import Foundation

/// Runs external tools (DCMTK's CLI, journalctl) for tests and fixture generation.
public enum Command {
  public struct Failure: Error, CustomStringConvertible {
    public let command: String
    public let status: Int32
    public let output: String
    public var description: String { "\(command) exited \(status): \(output)" }
  }

  /// Runs `executable` (looked up on PATH) with `arguments`, returns stdout; throws on a non-zero exit.
  @discardableResult
  public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    if let environment {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let stdout = output.fileHandleForReading.readDataToEndOfFile()
    let stderr = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: stdout, as: UTF8.self)
    guard process.terminationStatus == 0 else {
      throw Failure(command: ([executable] + arguments).joined(separator: " "), status: process.terminationStatus,
                    output: text + String(decoding: stderr, as: UTF8.self))
    }
    return text
  }

  /// Whether `executable` is on PATH.
  public static func exists(_ executable: String) -> Bool {
    (try? run("sh", ["-c", "command -v \(executable)"])) != nil
  }
}

/// A fresh temporary directory, removed when the value is dropped.
public final class TemporaryDirectory: @unchecked Sendable {
  public let url: URL

  public init(prefix: String = "isnetd-test") throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

  deinit {
    try? FileManager.default.removeItem(at: url)
  }
}

extension Command {
  /// What a command printed and how it ended after an interrupt.
  public struct Interrupted {
    /// Whether the awaited condition held before the timeout.
    public let becameReady: Bool
    public let status: Int32
    /// Standard output.
    public let output: String
    /// Standard error.
    public let errors: String
  }

  /// Starts `executable`, waits (at most `timeout` seconds) until `path` exists, sends SIGINT and
  /// waits for the process to exit: how a test checks that a long command stops cleanly.
  public static func interruptAfterFile(_ path: String, executable: String, _ arguments: [String],
                                        timeout: TimeInterval = 120) throws -> Interrupted {
    try interrupt(executable, arguments, timeout: timeout) { _ in FileManager.default.fileExists(atPath: path) }
  }

  /// Starts `executable`, waits (at most `timeout` seconds) until it has installed a SIGINT handler
  /// (a caught signal never survives `exec`, so /proc/PID/status's SigCgt shows the program's own), sends
  /// SIGINT and waits for the process to exit: how a test stops a command at the start of its long work.
  public static func interruptOnceHandled(executable: String, _ arguments: [String],
                                          timeout: TimeInterval = 120) throws -> Interrupted {
    try interrupt(executable, arguments, timeout: timeout) { process in
      guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
            let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
      else { return false }
      return mask & (1 << (UInt64(SIGINT) - 1)) != 0
    }
  }

  /// Output goes to files, not pipes: a command that prints more than a pipe holds before the signal
  /// would block on its write and never exit.
  private static func interrupt(_ executable: String, _ arguments: [String], timeout: TimeInterval,
                                when ready: (Process) -> Bool) throws -> Interrupted {
    let directory = try TemporaryDirectory(prefix: "isnetd-interrupted")
    let (outputPath, errorsPath) = (directory.path("stdout"), directory.path("stderr"))
    for path in [outputPath, errorsPath] {
      try Data().write(to: URL(fileURLWithPath: path))
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorsPath))
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while !ready(process), Date() < deadline, process.isRunning {
      Thread.sleep(forTimeInterval: 0.05)
    }
    let becameReady = ready(process)
    process.interrupt()
    process.waitUntilExit()
    return Interrupted(becameReady: becameReady, status: process.terminationStatus,
                       output: try String(contentsOfFile: outputPath, encoding: .utf8),
                       errors: try String(contentsOfFile: errorsPath, encoding: .utf8))
  }
}
