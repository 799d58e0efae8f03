import Foundation
import Glibc

/// Watches the inbox and every folder below it with inotify and tells which files may be ready.
///
/// A file is *complete* when its writer closed it (`IN_CLOSE_WRITE`) or renamed it in
/// (`IN_MOVED_TO`); a file that merely *appeared* (`IN_CREATE`, as OpenSSH's sftp-server `link()`s
/// its uploads, or one found by a scan) is taken only once it has stayed unchanged for the settle
/// time (``ArrivalTracker``). Dotfiles and temporary names (`*.part`, `*.tmp`, `*.filepart`,
/// `*.partial`, `*~`) are never candidates. A new folder is watched and scanned at once (files may
/// land in it before its watch exists); a queue overflow asks the caller for a full rescan.
public final class InboxWatcher {
  public enum Event: Equatable, Sendable {
    /// The writer closed it or renamed it in: readable now. Paths are relative to the inbox.
    case completed(String)
    /// It exists, but nothing says its writer is done.
    case appeared(String)
    /// Its writer wrote to it again: whatever was known of it no longer holds.
    case modified(String)
    /// Events were lost: rescan everything.
    case overflow
  }

  public let root: String
  private let descriptor: Int32
  /// Ends `wait` early when another thread asks (a stop or a reload).
  private let wakeup: Wakeup
  private var folders: [Int32: String] = [:]

  public init(root: String, wakeup: Wakeup) throws(DaemonError) {
    self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    self.wakeup = wakeup
    descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
    guard descriptor >= 0 else { throw .system(.watchFailed, "inotify_init1") }
    try watch("")
  }

  deinit {
    close(descriptor)
  }

  /// Whether a file name is one a producer is still writing or hides: never an input.
  public static func isIgnored(_ name: String) -> Bool {
    name.hasPrefix(".") || name.hasSuffix("~")
      || [".part", ".tmp", ".filepart", ".partial", ".crdownload"].contains { name.lowercased().hasSuffix($0) }
  }

  /// Every regular file below the inbox (relative paths), as `.appeared` events; watches folders it
  /// finds that are not watched yet.
  public func scan() -> [Event] {
    scan("")
  }

  private func scan(_ relative: String) -> [Event] {
    let folder = relative.isEmpty ? root : root + "/" + relative
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    var events: [Event] = []
    for name in names.sorted() where !Self.isIgnored(name) {
      let path = relative.isEmpty ? name : relative + "/" + name
      var status = stat()
      guard lstat(root + "/" + path, &status) == 0 else { continue }
      switch status.st_mode & S_IFMT {
      case S_IFDIR:
        if !folders.values.contains(path) { try? watch(path) }
        events += scan(path)
      case S_IFREG: events.append(.appeared(path))
      default: continue  // FIFOs, sockets, devices and symbolic links are not inputs; they stay where they are.
      }
    }
    return events
  }

  /// Files below `root` that could be inputs, without watching anything (for `isnetd status`).
  static func countFiles(in root: String) -> Int {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return 0 }
    var count = 0
    while let path = enumerator.nextObject() as? String {
      if isIgnored((path as NSString).lastPathComponent) {
        enumerator.skipDescendants()
      } else if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeRegular {
        count += 1
      }
    }
    return count
  }

  private func watch(_ relative: String) throws(DaemonError) {
    let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE) | UInt32(IN_MODIFY) | UInt32(IN_DELETE_SELF)
      | UInt32(IN_MOVE_SELF) | UInt32(IN_ONLYDIR) | UInt32(IN_DONT_FOLLOW)
    let path = relative.isEmpty ? root : root + "/" + relative
    let watchDescriptor = inotify_add_watch(descriptor, path, mask)
    guard watchDescriptor >= 0 else { throw .system(.watchFailed, "cannot watch \(path)") }
    folders[watchDescriptor] = relative
  }

  /// Waits up to `timeout` for inotify events or a wake-up, then returns the events that arrived.
  public func wait(timeout: Duration) -> [Event] {
    var descriptors = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeup.readDescriptor, events: Int16(POLLIN), revents: 0)]
    let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    _ = poll(&descriptors, 2, max(milliseconds, 0))
    if descriptors[1].revents != 0 { wakeup.drain() }
    return readEvents()
  }

  private func readEvents() -> [Event] {
    var events: [Event] = []
    let headerSize = MemoryLayout<inotify_event>.size
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      guard count > 0 else { break }
      var offset = 0
      while offset + headerSize <= count {
        let (header, name) = buffer.withUnsafeBytes { bytes -> (inotify_event, String) in
          let header = bytes.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
          let nameBytes = bytes[(offset + headerSize)..<(offset + headerSize + Int(header.len))].prefix { $0 != 0 }
          return (header, String(decoding: nameBytes, as: UTF8.self))
        }
        offset += headerSize + Int(header.len)
        events += interpret(header, name: name)
      }
    }
    return events
  }

  private func interpret(_ event: inotify_event, name: String) -> [Event] {
    let mask = event.mask
    if mask & UInt32(IN_Q_OVERFLOW) != 0 { return [.overflow] }
    if mask & UInt32(IN_IGNORED) != 0 || mask & (UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)) != 0 {
      // A watched folder went away (or was moved): forget it; a moved folder is found again by a rescan.
      folders[event.wd] = nil
      return []
    }
    guard let folder = folders[event.wd], !name.isEmpty, !Self.isIgnored(name) else { return [] }
    let path = folder.isEmpty ? name : folder + "/" + name
    if mask & UInt32(IN_ISDIR) != 0 {
      guard mask & (UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) != 0 else { return [] }
      try? watch(path)
      return scan(path)
    }
    if mask & (UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)) != 0 { return [.completed(path)] }
    if mask & UInt32(IN_CREATE) != 0 { return [.appeared(path)] }
    if mask & UInt32(IN_MODIFY) != 0 { return [.modified(path)] }
    return []
  }
}

/// A pipe that ends a `poll` on another thread: written by ``wake()``, read by the waiting thread.
public final class Wakeup: Sendable {
  let readDescriptor: Int32
  private let writeDescriptor: Int32

  public init() throws(DaemonError) {
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { throw .system(.watchFailed, "pipe") }
    for end in ends {
      _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
      _ = fcntl(end, F_SETFD, FD_CLOEXEC)
    }
    (readDescriptor, writeDescriptor) = (ends[0], ends[1])
  }

  deinit {
    close(readDescriptor)
    close(writeDescriptor)
  }

  public func wake() {
    var byte: UInt8 = 1
    _ = write(writeDescriptor, &byte, 1)
  }

  func drain() {
    var bytes = [UInt8](repeating: 0, count: 64)
    while read(readDescriptor, &bytes, bytes.count) > 0 {}
  }
}

/// Decides when a file found in the inbox may be read: at once after a completion event (unless the
/// file is empty: writers that create a file, close it and open it again to write are common), else
/// once its size, modification and change times have stayed the same for the settle time. A write
/// after a completion event takes the completion back.
public struct ArrivalTracker {
  private struct Candidate {
    var completed: Bool
    var signature: FileSignature?
    var unchangedSince: ContinuousClock.Instant
  }

  public let settle: Duration
  private var candidates: [String: Candidate] = [:]

  public init(settle: Duration) {
    self.settle = settle
  }

  public var pending: Int { candidates.count }

  public mutating func note(_ event: InboxWatcher.Event, now: ContinuousClock.Instant) {
    switch event {
    case .completed(let path): candidates[path] = Candidate(completed: true, signature: nil, unchangedSince: now)
    case .appeared(let path): if candidates[path] == nil { candidates[path] = Candidate(completed: false, signature: nil, unchangedSince: now) }
    case .modified(let path): candidates[path] = Candidate(completed: false, signature: nil, unchangedSince: now)
    case .overflow: break
    }
  }

  /// The paths ready to claim now, oldest first; paths whose files are gone are forgotten.
  public mutating func ready(root: String, now: ContinuousClock.Instant) -> [String] {
    var ready: [String] = []
    for (path, candidate) in candidates.sorted(by: { $0.key < $1.key }) {
      guard let signature = FileSignature(path: root + "/" + path) else {
        candidates[path] = nil
        continue
      }
      if (candidate.completed && signature.size > 0) || (candidate.signature == signature && now - candidate.unchangedSince >= settle && signature.isOlder(than: settle)) {
        ready.append(path)
        candidates[path] = nil
      } else if candidate.signature != signature {
        candidates[path] = Candidate(completed: false, signature: signature, unchangedSince: now)
      }
    }
    return ready
  }

  /// The time until the next settle check is due, nil when no file waits for one.
  public func nextCheck(now: ContinuousClock.Instant) -> Duration? {
    candidates.values.filter { !$0.completed }.map { max(settle - (now - $0.unchangedSince), .milliseconds(100)) }.min()
  }
}

/// What tells whether a regular file is still changing: its size and modification and change times.
struct FileSignature: Equatable {
  let size: Int
  let modified: timespec
  let changed: timespec

  init?(path: String) {
    var status = stat()
    guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
    size = Int(status.st_size)
    modified = status.st_mtim
    changed = status.st_ctim
  }

  /// Whether the last change is at least `age` old by the wall clock (the file times' clock).
  func isOlder(than age: Duration) -> Bool {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let latest = max(Double(modified.tv_sec) + Double(modified.tv_nsec) * 1e-9, Double(changed.tv_sec) + Double(changed.tv_nsec) * 1e-9)
    let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) * 1e-18
    return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9 - latest >= seconds
  }

  static func == (lhs: FileSignature, rhs: FileSignature) -> Bool {
    lhs.size == rhs.size && lhs.modified.tv_sec == rhs.modified.tv_sec && lhs.modified.tv_nsec == rhs.modified.tv_nsec
      && lhs.changed.tv_sec == rhs.changed.tv_sec && lhs.changed.tv_nsec == rhs.changed.tv_nsec
  }
}
