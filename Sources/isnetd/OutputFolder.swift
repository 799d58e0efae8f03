import ArgumentParser
import Durable
import Engine
import Foundation

/// Where a command writes, checked before its long work starts, so a run never ends in "cannot
/// write" after hours of training.
enum OutputFolder {
  /// Creates the folder `path` when missing (its parent must exist) and checks that it is writable.
  static func prepare(_ path: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw ValidationError("\(path) exists and is not a folder") }
    } else {
      try checkParent(of: path)
      do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
      } catch {
        throw ValidationError("cannot create \(path): permission denied or read-only file system")
      }
    }
    guard FileManager.default.isWritableFile(atPath: path) else { throw ValidationError("\(path) is not writable") }
  }

  /// Checks, before a training starts, that the checkpoint `stem` can be written and destroys nothing:
  /// its folder exists and is writable, and neither of its files (`stem.safetensors`, `stem.json`) is
  /// one of `protecting` (models the command reads) or, without `force`, exists already.
  static func checkCheckpoint(_ stem: String, protecting: [String], force: Bool) throws {
    try checkParent(of: stem)
    let checkpoint = Checkpoint(path: stem)
    try OutputGuard(protecting: protecting, force: force).check([checkpoint.weightsPath, checkpoint.metadataPath])
  }

  /// The files of the checkpoint `stem` (weights and sidecar), for ``OutputGuard``'s protected list.
  static func checkpointFiles(_ stem: String) -> [String] {
    let checkpoint = Checkpoint(path: stem)
    return [checkpoint.weightsPath, checkpoint.metadataPath]
  }

  /// Checks that the folder that will hold `path` (a file or a checkpoint stem) exists and is writable.
  static func checkParent(of path: String) throws {
    let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw ValidationError("cannot write \(path): the folder \(parent) does not exist")
    }
    guard FileManager.default.isWritableFile(atPath: parent) else { throw ValidationError("cannot write \(path): \(parent) is not writable") }
  }
}
