import Crypto
public import DICOM
import Foundation
import Glibc

/// An input file as a report names it: where it was, its name, size and SHA-256. Read once, in
/// chunks, before DCMTK sees the file: the hash ties a report to the exact bytes screened, and a FIFO
/// or device is refused here without blocking (opened non-blocking, regular files only).
public struct InputFile: Sendable, Equatable {
  /// The path as given.
  public let path: String
  /// The last path component.
  public let name: String
  /// Lower-case hexadecimal SHA-256 of the content; nil when the file could not be read.
  public let sha256: String?
  /// Size in bytes; nil when the file could not be read.
  public let byteCount: Int?

  /// Describes `path` without reading it (for a file that cannot be read).
  public init(unreadable path: String) {
    self.path = path
    name = URL(fileURLWithPath: path).lastPathComponent
    sha256 = nil
    byteCount = nil
  }

  /// Reads and hashes `path`; throws `unreadable` with the reason when it is not a readable regular file.
  public init(reading path: String) throws(DICOMError) {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw Self.openError(errno) }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { throw Self.openError(errno) }
    let kind = status.st_mode & S_IFMT
    guard kind == S_IFREG else {
      throw DICOMError(.unreadable, kind == S_IFDIR ? "the path is a directory" : "not a regular file (a FIFO, socket or device)")
    }
    var hasher = SHA256()
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var total = 0
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw DICOMError(.unreadable, "read failed: \(String(cString: strerror(errno)))")
      }
      if count == 0 { break }
      buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
      total += count
    }
    self.path = path
    name = URL(fileURLWithPath: path).lastPathComponent
    sha256 = hasher.finalize().hexadecimal
    byteCount = total
  }

  /// The reason `open` or `fstat` failed, in words (never Foundation's error strings).
  private static func openError(_ code: Int32) -> DICOMError {
    switch code {
    case ENOENT: DICOMError(.unreadable, "no such file")
    case EACCES, EPERM: DICOMError(.unreadable, "permission denied")
    case ELOOP: DICOMError(.unreadable, "too many levels of symbolic links (a symlink loop)")
    case EISDIR: DICOMError(.unreadable, "the path is a directory")
    case ENAMETOOLONG: DICOMError(.unreadable, "the path is too long")
    default: DICOMError(.unreadable, String(cString: strerror(code)))
    }
  }
}
