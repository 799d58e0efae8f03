import Glibc

/// A regular file opened for reading. It is opened non-blocking, so a FIFO or a device named like a
/// DICOM file is refused at once instead of blocking, and checked with `fstat` before anything is read.
/// Failures name the reason in words (never Foundation's error strings).
public final class RegularFile {
  public let descriptor: Int32
  /// The size in bytes when opened.
  public let size: Int

  public init(path: String) throws(DICOMError) {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw Self.openError(errno) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let code = errno
      close(descriptor)
      throw Self.openError(code)
    }
    let kind = status.st_mode & S_IFMT
    guard kind == S_IFREG else {
      close(descriptor)
      throw DICOMError(.unreadable, kind == S_IFDIR ? "the path is a directory" : "not a regular file (a FIFO, socket or device)")
    }
    self.descriptor = descriptor
    size = Int(status.st_size)
  }

  deinit { close(descriptor) }

  /// Reads up to `bytes.count` bytes from `offset` into `bytes`; returns how many were read (0 at the end).
  public func read(at offset: Int, into bytes: inout [UInt8]) throws(DICOMError) -> Int {
    let descriptor = descriptor
    let count = bytes.withUnsafeMutableBytes { buffer in
      var count: Int
      repeat {
        count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
      } while count < 0 && errno == EINTR
      return count
    }
    guard count >= 0 else { throw DICOMError(.unreadable, "read failed: \(String(cString: strerror(errno)))") }
    return count
  }

  /// The reason `open` or `fstat` failed.
  private static func openError(_ code: Int32) -> DICOMError {
    switch code {
    case ENOENT: DICOMError(.unreadable, "no such file")
    case EACCES, EPERM: DICOMError(.unreadable, "permission denied")
    case ELOOP: DICOMError(.unreadable, "too many levels of symbolic links (a symlink loop)")
    case EISDIR: DICOMError(.unreadable, "the path is a directory")
    case ENAMETOOLONG: DICOMError(.unreadable, "the path is too long")
    case ENOTDIR: DICOMError(.unreadable, "a component of the path is not a directory")
    default: DICOMError(.unreadable, String(cString: strerror(code)))
    }
  }
}
