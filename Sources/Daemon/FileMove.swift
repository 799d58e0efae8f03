import Durable
import Engine
import Foundation
import Glibc

/// Moves files between the inbox, the work area, the archive and quarantine: each move a `rename`,
/// made durable by `fsync`ing both folders, or, across filesystems, a copy that is made durable
/// before the original is removed. No file is ever removed before its copy is safe.
enum FileMove {
  /// Moves `source` to `target` (whose folder exists); never replaces an existing `target`.
  static func move(_ source: String, to target: String) throws(DaemonError) {
    guard access(target, F_OK) != 0 else { throw DaemonError(.disposalFailed, "\(target) exists already") }
    if rename(source, target) == 0 {
      try synchronize(folderOf: target)
      try synchronize(folderOf: source)
      return
    }
    guard errno == EXDEV else { throw .system(.disposalFailed, "cannot move \(source) to \(target)") }
    do {
      let data = try Data(contentsOf: URL(fileURLWithPath: source))
      try AtomicFile.replace(target, with: [data], permissions: 0o640)
    } catch {
      throw DaemonError(.disposalFailed, "cannot copy \(source) to \(target): \(error)")
    }
    guard unlink(source) == 0 else { throw .system(.disposalFailed, "cannot remove \(source) after copying it") }
    try synchronize(folderOf: source)
  }

  static func synchronize(folderOf path: String) throws(DaemonError) {
    do {
      try AtomicFile.synchronizeDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path)
    } catch {
      throw DaemonError(.disposalFailed, error.message)
    }
  }

  /// Creates `path` and its missing parents (mode 0750).
  static func makeFolder(_ path: String) throws(DaemonError) {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
    } catch {
      throw DaemonError(.stateFailed, "cannot create the folder \(path): \(PlainErrorText.of(error))")
    }
  }
}
