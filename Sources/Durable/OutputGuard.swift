import Glibc

/// Decides whether a command may write a file, so that no output destroys data: an output is never one
/// of the command's inputs or its model (compared by device and inode, so a symbolic link, a hard link
/// or another spelling of the path is seen through), not even with `force`; an existing file is
/// replaced only with `force` (and then atomically, through ``AtomicFile``); something that is not a
/// regular file (a folder, a FIFO, a device) is never replaced.
///
/// Every command that writes checks all its outputs with one guard before it starts its work.
public struct OutputGuard: Sendable {
  /// Where a protected file lives.
  struct Identity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64
  }

  private let protected: [Identity: String]
  public let force: Bool

  /// A guard that never lets `protecting` (the command's inputs and model files; missing ones are
  /// ignored) be written, and lets existing files be replaced only when `force` is set.
  public init(protecting paths: [String], force: Bool) {
    var protected: [Identity: String] = [:]
    for path in paths {
      if let identity = Self.identity(of: path), protected[identity] == nil { protected[identity] = path }
    }
    self.protected = protected
    self.force = force
  }

  /// Throws when writing `path` could destroy data: it is one of the protected files (`isInput`, even
  /// with force), it exists and is not a regular file (`notAFile`), or it exists and force is not set
  /// (`exists`).
  public func check(_ path: String) throws(OutputRefusal) {
    var status = stat()
    guard stat(path, &status) == 0 else { return }  // nothing there (or unreachable: the write will say so)
    if let input = protected[Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))] {
      throw OutputRefusal(.isInput, path: path, message: "\(path) is \(input), an input or model of this command; it is never written")
    }
    guard status.st_mode & S_IFMT == S_IFREG else {
      throw OutputRefusal(.notAFile, path: path, message: "\(path) exists and is not a regular file; it is never replaced")
    }
    guard force else {
      throw OutputRefusal(.exists, path: path, message: "\(path) exists; pass --force to replace it")
    }
  }

  /// Checks every path of `paths` (``check(_:)``), then returns them.
  @discardableResult
  public func check(_ paths: [String]) throws(OutputRefusal) -> [String] {
    for path in paths { try check(path) }
    return paths
  }

  /// Whether `path` is one of the protected files.
  public func isProtected(_ path: String) -> Bool {
    Self.identity(of: path).map { protected[$0] != nil } ?? false
  }

  static func identity(of path: String) -> Identity? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
  }
}

/// An output a command refuses to write, and why.
public struct OutputRefusal: Error, Equatable, CustomStringConvertible, Sendable {
  public enum Reason: String, Sendable {
    /// The output is one of the command's inputs or its model.
    case isInput = "output_is_input"
    /// The output exists and --force was not given.
    case exists = "output_exists"
    /// The output exists and is a folder, FIFO, device or socket.
    case notAFile = "output_not_a_file"
  }

  public let reason: Reason
  public let path: String
  public let message: String

  public init(_ reason: Reason, path: String, message: String) {
    self.reason = reason
    self.path = path
    self.message = message
  }

  public var description: String { message }
}
