import Durable
import Glibc

/// The whole of one file, read with `read(2)` into memory this module owns. The tensors read from the
/// file are views of it (`Data(bytesNoCopy:)`) and keep it alive, so the file's bytes are copied once.
///
/// A read rather than `mmap(2)`: a mapped file that someone truncates turns later accesses into SIGBUS.
final class FileBuffer: @unchecked Sendable {
  /// The first byte; 64-byte aligned, so tensors at 8-byte-aligned file offsets are aligned in memory.
  let base: UnsafeMutableRawPointer
  /// How many bytes were read: the file's size, or less if it shrank while being read.
  let count: Int

  /// The bytes read.
  var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

  /// Reads all of `path`, a regular file (opened through ``RegularFile``: a FIFO in its place is
  /// refused, not waited on); throws `io` with the reason when it cannot be opened or read.
  init(readingFile path: String) throws(SafetensorsError) {
    let file: RegularFile
    do {
      file = try RegularFile(path: path)
    } catch {
      throw error.isNotRegular ? SafetensorsError(.io, "\(path) is not a regular file") : .system("cannot open \(path)", error)
    }
    let base = UnsafeMutableRawPointer.allocate(byteCount: max(file.size, 1), alignment: 64)
    var filled = 0
    while filled < file.size {
      let count: Int
      do {
        count = try file.read(at: filled, into: base + filled, count: file.size - filled)
      } catch {
        base.deallocate()
        throw SafetensorsError.system("cannot read \(path)", error)
      }
      if count == 0 { break }
      filled += count
    }
    self.base = base
    self.count = filled
  }

  deinit {
    base.deallocate()
  }
}

extension SafetensorsError {
  /// An `io` error: `what`, then the system's words for the failure and its errno.
  static func system(_ what: String, _ failure: RegularFile.Failure) -> SafetensorsError {
    guard let code = failure.systemError else { return SafetensorsError(.io, "\(what): \(failure)") }
    return SafetensorsError(.io, "\(what): \(String(cString: strerror(code))) (errno \(code))")
  }
}
