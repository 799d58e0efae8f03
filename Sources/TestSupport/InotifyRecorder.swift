import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Records what happens to the entries of one folder with inotify, for tests that must prove how files appeared
/// there (for example: only ever by rename, never written in place). The kernel queues the events until
/// `events()` reads them, so nothing is lost while the test does other work (up to
/// /proc/sys/fs/inotify/max_queued_events; past it `overflowed` is set).
public final class InotifyRecorder {
  public struct Event: Equatable, Sendable {
    public let mask: UInt32
    public let name: String
  }

  /// Every event a writer can cause on an entry: created, written, closed after writing, renamed in.
  public static let writerEvents = UInt32(IN_CREATE) | UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)

  private let descriptor: Int32
  public private(set) var overflowed = false

  public init(watching folder: String, mask: UInt32 = InotifyRecorder.writerEvents) throws {
    descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    guard inotify_add_watch(descriptor, folder, mask) >= 0 else {
      let code = errno
      close(descriptor)
      throw POSIXError(.init(rawValue: code) ?? .EIO)
    }
  }

  deinit { close(descriptor) }

  /// The events queued since the last call, oldest first.
  public func events() -> [Event] {
    var events: [Event] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let count = read(descriptor, &buffer, buffer.count)
      guard count > 0 else { return events }
      var offset = 0
      // Each record: struct inotify_event (16 bytes), then `len` bytes of NUL-padded name.
      while offset + MemoryLayout<inotify_event>.size <= count {
        let (mask, length) = buffer.withUnsafeBytes { bytes in
          let header = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
          return (header.mask, Int(header.len))
        }
        let nameStart = offset + MemoryLayout<inotify_event>.size
        let nameBytes = buffer[nameStart..<nameStart + length].prefix { $0 != 0 }
        if mask & UInt32(IN_Q_OVERFLOW) != 0 { overflowed = true }
        events.append(Event(mask: mask, name: String(decoding: nameBytes, as: UTF8.self)))
        offset = nameStart + length
      }
    }
  }
}
