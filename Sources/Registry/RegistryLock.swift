import Foundation
import Glibc

/// An exclusive `flock` on a file of the registry, released when the holder closes it or its process
/// ends (even by `kill -9`): the lock lasts as long as this object, and a crash never leaves the
/// registry locked. The holder writes who it is into the file, so the next one can say who holds it.
public final class RegistryLock: Sendable {
  private let descriptor: Int32

  /// Takes the lock at `path`, describing the holder as `holder`. Without `wait`, a lock held by
  /// another process is an error naming that process.
  public init(path: String, holder: String, wait: Bool) throws(RegistryError) {
    descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw RegistryError("cannot open the lock \(path): \(String(cString: strerror(errno)))") }
    guard flock(descriptor, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0 else {
      let code = errno
      let held = Self.describeHolder(descriptor)
      close(descriptor)
      throw code == EWOULDBLOCK ? RegistryError("\(held.isEmpty ? "another process" : held) holds \(path)", lockHeld: true)
        : RegistryError("cannot lock \(path): \(String(cString: strerror(code)))")
    }
    let line = "process \(getpid()), \(holder), since \(Date().formatted(.iso8601))\n"
    _ = ftruncate(descriptor, 0)
    _ = line.withCString { pwrite(descriptor, $0, strlen($0), 0) }
  }

  /// Closing the file releases the lock.
  deinit { close(descriptor) }

  private static func describeHolder(_ descriptor: Int32) -> String {
    var bytes = [UInt8](repeating: 0, count: 512)
    let count = pread(descriptor, &bytes, bytes.count, 0)
    guard count > 0 else { return "" }
    return String(decoding: bytes[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
