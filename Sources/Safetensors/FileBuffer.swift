#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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

  /// Reads all of `path`, a regular file (opened non-blocking: a FIFO in its place is refused, not
  /// waited on); throws `io` with `strerror`'s text when it cannot be opened or read.
  init(readingFile path: String) throws(SafetensorsError) {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else { throw SafetensorsError.system("cannot open \(path)") }
    defer { close(descriptor) }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else { throw SafetensorsError.system("cannot stat \(path)") }
    guard status.st_mode & S_IFMT == S_IFREG else { throw SafetensorsError(.io, "\(path) is not a regular file") }
    let size = Int(status.st_size)
    let base = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 64)
    var filled = 0
    while filled < size {
      let result = read(descriptor, base + filled, size - filled)
      if result < 0 {
        if errno == EINTR { continue }
        let error = SafetensorsError.system("cannot read \(path)")
        base.deallocate()
        throw error
      }
      if result == 0 { break }
      filled += result
    }
    self.base = base
    self.count = filled
  }

  deinit {
    base.deallocate()
  }
}

extension SafetensorsError {
  /// An `io` error: `what`, then `strerror(errno)`.
  static func system(_ what: String) -> SafetensorsError {
    let code = errno
    return SafetensorsError(.io, "\(what): \(String(cString: strerror(code))) (errno \(code))")
  }
}
