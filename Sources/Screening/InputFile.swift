import Crypto
import Durable
public import DICOM
import Foundation

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
    let file = try RegularFile.opened(path)
    var hasher = SHA256()
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var total = 0
    while true {
      let count = try file.reading(at: total, into: &buffer)
      if count == 0 { break }
      buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
      total += count
    }
    self.path = path
    name = URL(fileURLWithPath: path).lastPathComponent
    sha256 = hasher.finalize().hexadecimal
    byteCount = total
  }
}
