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
    guard descriptor >= 0 else { throw .system("cannot create \(temporary)") }
    var renamed = false
    defer { if !renamed { unlink(temporary) } }
    do {
      defer { close(descriptor) }
      for piece in pieces {
        if let failure = piece.withUnsafeBytes({ writeAll($0, to: descriptor) }) {
          throw AtomicFileError(message: "cannot write \(temporary): \(failure)")
        }
      }
      guard fsync(descriptor) == 0 else { throw .system("cannot fsync \(temporary)") }
    }
    guard rename(temporary, path) == 0 else { throw .system("cannot rename \(temporary) to \(path)") }
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
    guard descriptor >= 0 else { throw AtomicFileError.system("cannot open \(temporary)") }
    do {
      defer { close(descriptor) }
      guard fsync(descriptor) == 0 else { throw AtomicFileError.system("cannot fsync \(temporary)") }
    }
    guard rename(temporary, path) == 0 else { throw AtomicFileError.system("cannot rename \(temporary) to \(path)") }
    renamed = true
    try synchronizeDirectory(directory)
  }

  /// `fsync`s a directory, so renames and creations in it survive a crash.
  public static func synchronizeDirectory(_ directory: String) throws(AtomicFileError) {
    let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw .system("cannot open \(directory)") }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw .system("cannot fsync \(directory)") }
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

  /// Writes all of `bytes`, resuming after partial writes and interruptions; returns `strerror`'s text
  /// on failure, nil on success.
  private static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> String? {
    var written = 0
    while written < bytes.count {
      let result = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
      if result < 0 {
        let code = errno
        if code == EINTR { continue }
        return "\(String(cString: strerror(code))) (errno \(code))"
      }
      written += result
    }
    return nil
  }
}

/// An atomic write that failed, with the system's reason.
public struct AtomicFileError: Error, Equatable, CustomStringConvertible, Sendable {
  public let message: String

  public init(message: String) { self.message = message }

  static func system(_ what: String) -> AtomicFileError {
    let code = errno
    return AtomicFileError(message: "\(what): \(String(cString: strerror(code))) (errno \(code))")
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
      throw AtomicFileError(message: "cannot exchange \(first) and \(second): the C library has no renameat2")
    }
    let renameAt2 = unsafeBitCast(symbol, to: RenameAt2.self)
    let renameExchange: UInt32 = 1 << 1  // RENAME_EXCHANGE in <linux/fs.h>
    guard renameAt2(AT_FDCWD, first, AT_FDCWD, second, renameExchange) == 0 else {
      throw .system("cannot exchange \(first) and \(second)")
    }
  }
}
