import Glibc

/// A regular file opened for reading: every untrusted file isnetd reads (DICOM inputs, checkpoints,
/// bundle manifests, weights) is opened through this. It is opened non-blocking, so a FIFO or a device
/// in a file's place is refused at once instead of blocking, and checked with `fstat` before anything
/// is read. Failures say why in words (never Foundation's error strings).
public final class RegularFile {
  /// Why a file could not be opened or read.
  public struct Failure: Error, Equatable, CustomStringConvertible, Sendable {
    /// The reason in words: "no such file", "a symlink loop", "not a regular file ...".
    public let reason: String
    /// The path is there but is no regular file.
    public let isNotRegular: Bool
    /// The `errno` of a failed system call, for callers that report it as the system words it.
    public var systemError: Int32? = nil

    public var description: String { reason }
  }

  public let descriptor: Int32
  /// The size in bytes when opened.
  public let size: Int

  public init(path: String) throws(Failure) {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw Self.failure(errno) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let code = errno
      close(descriptor)
      throw Self.failure(code)
    }
    let kind = status.st_mode & S_IFMT
    guard kind == S_IFREG else {
      close(descriptor)
      throw Failure(reason: kind == S_IFDIR ? "the path is a directory" : "not a regular file (a FIFO, socket or device)",
                    isNotRegular: true)
    }
    self.descriptor = descriptor
    size = Int(status.st_size)
  }

  deinit { close(descriptor) }

  /// Reads up to `count` bytes from `offset` into `buffer`; returns how many were read (0 at the end).
  public func read(at offset: Int, into buffer: UnsafeMutableRawPointer, count: Int) throws(Failure) -> Int {
    var read: Int
    repeat {
      read = pread(descriptor, buffer, count, off_t(offset))
    } while read < 0 && errno == EINTR
    guard read >= 0 else {
      throw Failure(reason: "read failed: \(String(cString: strerror(errno)))", isNotRegular: false, systemError: errno)
    }
    return read
  }

  /// Reads up to `bytes.count` bytes from `offset` into `bytes`; returns how many were read.
  public func read(at offset: Int, into bytes: inout [UInt8]) throws(Failure) -> Int {
    guard !bytes.isEmpty else { return 0 }
    let result = bytes.withUnsafeMutableBytes { buffer in
      Result { () throws(Failure) in try read(at: offset, into: buffer.baseAddress!, count: buffer.count) }
    }
    return try result.get()
  }

  /// The reason `open` or `fstat` failed.
  private static func failure(_ code: Int32) -> Failure {
    let reason = switch code {
    case ENOENT: "no such file"
    case EACCES, EPERM: "permission denied"
    case ELOOP: "too many levels of symbolic links (a symlink loop)"
    case EISDIR: "the path is a directory"
    case ENAMETOOLONG: "the path is too long"
    case ENOTDIR: "a component of the path is not a directory"
    default: String(cString: strerror(code))
    }
    return Failure(reason: reason, isNotRegular: false, systemError: code)
  }
}
