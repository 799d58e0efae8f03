import Glibc

/// The bytes of a regular file, read with `read(2)`. The file is opened non-blocking, so a FIFO or
/// device in its place is refused at once instead of blocking, and it must be a regular file no larger
/// than a limit. (Foundation's `Data(contentsOf:)` follows a FIFO into a blocking read and leaks its
/// 4 KiB buffer on an empty file, found by LeakSanitizer while fuzzing checkpoints.)
public enum FileContents {
  /// Why a file could not be read, in words.
  public struct Failure: Error, CustomStringConvertible, Sendable {
    public let description: String
  }

  public static func read(_ path: String, limit: Int? = nil) throws(Failure) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))")
    }
    guard status.st_mode & S_IFMT == S_IFREG else { throw Failure(description: "\(path) is not a regular file") }
    let size = Int(status.st_size)
    if let limit, size > limit {
      throw Failure(description: "\(path) holds \(size) bytes, more than the \(limit) it may have")
    }
    var bytes = [UInt8](repeating: 0, count: size)
    var filled = 0
    while filled < size {
      let count = bytes.withUnsafeMutableBytes { buffer in Glibc.read(descriptor, buffer.baseAddress! + filled, size - filled) }
      if count < 0 && errno == EINTR { continue }
      guard count >= 0 else { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
      if count == 0 { break }  // the file shrank while being read
      filled += count
    }
    return Array(bytes.prefix(filled))
  }
}
