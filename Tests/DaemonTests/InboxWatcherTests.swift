import Daemon
import Foundation
import Glibc
import Testing
import TestSupport

@Suite("Inbox watcher and arrival rules (real inotify)")
struct InboxWatcherTests {
  let directory: TemporaryDirectory
  let watcher: InboxWatcher

  init() throws {
    directory = try TemporaryDirectory(prefix: "isnetd-watch")
    watcher = try InboxWatcher(root: directory.url.path, wakeup: Wakeup())
  }

  /// Events until none arrive for 200 ms.
  func events() -> [InboxWatcher.Event] {
    var all: [InboxWatcher.Event] = []
    while case let batch = watcher.wait(timeout: .milliseconds(200)), !batch.isEmpty { all += batch }
    return all
  }

  @Test("a closed write and a rename are completions; dotfiles and temporary names are never candidates")
  func completions() throws {
    try Data("x".utf8).write(to: directory.url.appendingPathComponent("written.dcm"))
    try Data("y".utf8).write(to: directory.url.appendingPathComponent(".hidden"))
    try Data("z".utf8).write(to: directory.url.appendingPathComponent("upload.dcm.part"))
    #expect(rename(directory.path("upload.dcm.part"), directory.path("renamed.dcm")) == 0)
    let seen = events()
    #expect(seen.contains(.completed("written.dcm")))
    #expect(seen.contains(.completed("renamed.dcm")))
    #expect(!seen.contains { "\($0)".contains("hidden") || "\($0)".contains(".part") })
    for name in [".x", "a.part", "a.TMP", "a.filepart", "a.partial", "a~", "a.crdownload"] { #expect(InboxWatcher.isIgnored(name)) }
    #expect(!InboxWatcher.isIgnored("1.2.3.dcm"))
  }

  @Test("a new study folder is watched at once, and files already in it are found")
  func newFolders() throws {
    let study = directory.path("study")
    try FileManager.default.createDirectory(atPath: study, withIntermediateDirectories: false)
    try Data("a".utf8).write(to: URL(fileURLWithPath: study + "/early.dcm"))
    var seen = events()
    try Data("b".utf8).write(to: URL(fileURLWithPath: study + "/late.dcm"))
    seen += events()
    #expect(seen.contains { $0 == .appeared("study/early.dcm") || $0 == .completed("study/early.dcm") })
    #expect(seen.contains(.completed("study/late.dcm")))
  }

  @Test("a linked file (sftp's rename) is taken only after it stayed unchanged for the settle time; an empty close is not a completion")
  func settle() throws {
    var tracker = ArrivalTracker(settle: .milliseconds(600))
    let staging = try TemporaryDirectory(prefix: "isnetd-staging")
    try Data("linked".utf8).write(to: staging.url.appendingPathComponent("up.dcm"))
    // Hard links must stay on one filesystem: link within the watched folder's filesystem when possible.
    let linked = link(staging.path("up.dcm"), directory.path("up.dcm")) == 0
      || (try? FileManager.default.copyItem(atPath: staging.path("up.dcm"), toPath: directory.path("up.dcm"))) != nil
    #expect(linked)
    #expect(FileManager.default.createFile(atPath: directory.path("empty.dcm"), contents: nil))
    let clock = ContinuousClock()
    for event in events() { tracker.note(event, now: clock.now) }
    let start = clock.now
    // Neither is taken at once: one only appeared, the other was closed empty.
    var taken = tracker.ready(root: directory.url.path, now: clock.now)
    #expect(taken.isEmpty)
    while clock.now - start < .seconds(3), !taken.contains("up.dcm") {
      taken += tracker.ready(root: directory.url.path, now: clock.now)
      usleep(50_000)
    }
    #expect(taken.contains("up.dcm"))
    #expect(clock.now - start >= .milliseconds(600))
  }

  @Test("a write after the close takes the completion back")
  func rewrite() throws {
    var tracker = ArrivalTracker(settle: .seconds(30))
    let path = directory.path("again.dcm")
    try Data("first".utf8).write(to: URL(fileURLWithPath: path))
    let clock = ContinuousClock()
    for event in events() { tracker.note(event, now: clock.now) }
    let handle = try #require(FileHandle(forWritingAtPath: path))
    handle.seekToEndOfFile()
    handle.write(Data("more".utf8))
    for event in events() { tracker.note(event, now: clock.now) }
    #expect(tracker.ready(root: directory.url.path, now: clock.now).isEmpty)
    try handle.close()
    for event in events() { tracker.note(event, now: clock.now) }
    #expect(tracker.ready(root: directory.url.path, now: clock.now) == ["again.dcm"])
  }
}
