public import Foundation
import Glibc

/// Replaces files atomically: a reader sees the old file or the whole new one, never a part, and
/// after a crash the file is one or the other. Used for checkpoints, reports and heatmaps.
public enum AtomicFile {
  /// Writes `pieces` one after the other to a temporary file in `path`'s directory, `fsync`s it,
  /// renames it over `path`, then `fsync`s the directory so the rename itself is durable. The
  /// temporary file (a dotfile, so inbox-style watchers skip it) is removed when a step before the
  /// rename fails.
  public static func replace(_ path: String, with pieces: [Data], permissions: mode_t = 0o644) throws(AtomicFileError) {
    let (directory, name) = split(path)
    let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
    guard descriptor >= 0 else { throw .system(.createFailed, "cannot create \(temporary)") }
    var renamed = false
    defer { if !renamed { unlink(temporary) } }
    do {
      defer { close(descriptor) }
      for piece in pieces {
        guard piece.withUnsafeBytes({ writeAll($0, to: descriptor) }) else {
          throw .system(.writeFailed, "cannot write \(temporary)")
        }
      }
      guard fsync(descriptor) == 0 else { throw .system(.fsyncFailed, "cannot fsync \(temporary)") }
    }
    guard rename(temporary, path) == 0 else { throw .system(.renameFailed, "cannot rename \(temporary) to \(path)") }
    renamed = true
    try synchronizeDirectory(directory)
  }

  /// Makes `path` atomically from a file that `produce` writes at the temporary path it is given (for
  /// writers that take a path, such as DCMTK's): the temporary file (a dotfile in `path`'s directory) is
  /// `fsync`ed and renamed over `path`, then the directory is `fsync`ed. The temporary file is removed
  /// when `produce` or a step before the rename fails.
  public static func replace(_ path: String, producing produce: (String) throws -> Void) throws {
    let (directory, name) = split(path)
    let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    var renamed = false
    defer { if !renamed { unlink(temporary) } }
    try produce(temporary)
    let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw AtomicFileError.system(.fsyncFailed, "cannot open \(temporary) to fsync it") }
    do {
      defer { close(descriptor) }
      guard fsync(descriptor) == 0 else { throw AtomicFileError.system(.fsyncFailed, "cannot fsync \(temporary)") }
    }
    guard rename(temporary, path) == 0 else { throw AtomicFileError.system(.renameFailed, "cannot rename \(temporary) to \(path)") }
    renamed = true
    try synchronizeDirectory(directory)
  }

  /// `fsync`s a directory, so renames and creations in it survive a crash.
  public static func synchronizeDirectory(_ directory: String) throws(AtomicFileError) {
    let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .system(.fsyncFailed, "cannot open \(directory) to fsync it") }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw .system(.fsyncFailed, "cannot fsync \(directory)") }
  }

  /// Writes `data` to `path` atomically.
  public static func write(_ data: Data, to path: String) throws(AtomicFileError) {
    try replace(path, with: [data])
  }

  /// The directory holding `path` (`.` when it names none) and the file name.
  static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
  }

  /// Writes all of `bytes`, resuming after partial writes and interruptions; false on failure, with
  /// `errno` set.
  private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
    var written = 0
    while written < bytes.count {
      let result = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
      if result < 0 {
        if errno == EINTR { continue }
        return false
      }
      written += result
    }
    return true
  }
}

/// An atomic write that failed: the step that failed as a code from a closed set, each with a fixed
/// sentence, the system's error number, and a detail naming the file and the system's reason.
///
/// A report that could not be written says `output_failed` (``Screening/Problem/init(writing:)``), with
/// this detail; the code says which step failed where that matters (a journal entry, a daemon's retry).
public struct AtomicFileError: Error, Equatable, CustomStringConvertible, Sendable {
  public enum Code: String, Sendable, CaseIterable, Codable {
    /// The temporary file could not be created beside the target (a missing or read-only folder, no space).
    case createFailed = "create_failed"
    /// The temporary file could not be written (no space, an I/O error).
    case writeFailed = "write_failed"
    /// A file or its folder could not be opened for `fsync`, or `fsync` failed.
    case fsyncFailed = "fsync_failed"
    /// The finished temporary file could not be renamed over the target.
    case renameFailed = "rename_failed"
    /// Two paths could not be swapped with `renameat2(RENAME_EXCHANGE)`.
    case exchangeFailed = "exchange_failed"

    /// One sentence for people, fixed per code.
    public var sentence: String {
      switch self {
      case .createFailed: "A temporary file could not be created beside the file to write."
      case .writeFailed: "A temporary file could not be written."
      case .fsyncFailed: "A file or its folder could not be flushed to disk."
      case .renameFailed: "A finished file could not be renamed into place."
      case .exchangeFailed: "Two paths could not be swapped in one step."
      }
    }
  }

  public let code: Code
  /// The detail: what failed on which path, and the system's reason with its error number.
  public let message: String
  /// `errno` after the failing call; nil when no call set it.
  public let systemError: Int32?

  public init(_ code: Code, _ message: String, systemError: Int32? = nil) {
    self.code = code
    self.message = message
    self.systemError = systemError
  }

  /// The error for a failed system call, from `errno`.
  static func system(_ code: Code, _ what: String) -> AtomicFileError {
    let number = errno
    return AtomicFileError(code, "\(what): \(String(cString: strerror(number))) (errno \(number))", systemError: number)
  }

  public var description: String { message }
}

extension AtomicFile {
  /// Swaps two paths (files or folders) in one step: `renameat2(2)` with `RENAME_EXCHANGE`, so a reader
  /// sees one or the other, never neither. Glibc's Swift module does not declare `renameat2`; it is
  /// looked up in the C library (glibc 2.28 and later).
  public static func exchange(_ first: String, _ second: String) throws(AtomicFileError) {
    typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else {
      throw AtomicFileError(.exchangeFailed, "cannot exchange \(first) and \(second): the C library has no renameat2")
    }
    let renameAt2 = unsafeBitCast(symbol, to: RenameAt2.self)
    let renameExchange: UInt32 = 1 << 1  // RENAME_EXCHANGE in <linux/fs.h>
    guard renameAt2(AT_FDCWD, first, AT_FDCWD, second, renameExchange) == 0 else {
      throw .system(.exchangeFailed, "cannot exchange \(first) and \(second)")
    }
  }
}
