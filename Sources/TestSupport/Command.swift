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
  /// What a command printed and how it ended after `interruptAfterFile`.
  public struct Interrupted {
    public let fileAppeared: Bool
    public let status: Int32
    public let output: String
  }

  /// Starts `executable`, waits (at most `timeout` seconds) until `path` exists, sends SIGINT and
  /// waits for the process to exit: how a test checks that a long command stops cleanly.
  public static func interruptAfterFile(_ path: String, executable: String, _ arguments: [String],
                                        timeout: TimeInterval = 120) throws -> Interrupted {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while !FileManager.default.fileExists(atPath: path), Date() < deadline, process.isRunning {
      Thread.sleep(forTimeInterval: 0.2)
    }
    let appeared = FileManager.default.fileExists(atPath: path)
    process.interrupt()
    process.waitUntilExit()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return Interrupted(fileAppeared: appeared, status: process.terminationStatus, output: output)
  }
}
