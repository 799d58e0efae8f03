import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An AF_UNIX datagram socket for tests that talk to journald's socket or stand in for systemd's
/// notify socket (PID 1 is not systemd here).
public final class UnixDatagramSocket {
  public let descriptor: Int32

  public init() throws {
    descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
  }

  deinit { close(descriptor) }

  /// Binds to `path`, so that datagrams sent there arrive here.
  public func bind(to path: String) throws {
    guard Self.withAddress(path, { Glibc.bind(descriptor, $0, $1) }) == 0 else {
      throw POSIXError(.init(rawValue: errno) ?? .EIO)
    }
  }

  /// Whether a listener accepts datagrams at `path`: a socket file left by an exited daemon refuses.
  public func connects(to path: String) -> Bool {
    Self.withAddress(path, { Glibc.connect(descriptor, $0, $1) }) == 0
  }

  /// One pending datagram as text, or "" when none is waiting.
  public func receive() -> String {
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
    return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
  }

  private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
      path.utf8CString.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(buffer.count - 1))) }
    }
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
  }
}
