import Crypto
import Daemon
import Foundation
import Glibc
import Testing
import TestSupport

/// What a test dropped into the inbox, and where each file must end.
struct DroppedFile {
  enum Kind: Equatable { case valid, notScreened, duplicate, notDICOM, truncated }
  let name: String
  let kind: Kind
  let sha256: String
}

func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

/// Drops a mix of files: valid ones with fresh UIDs, lateral views (not screened), exact copies of
/// valid ones under other names, non-DICOM files and truncated ones.
func dropMix(_ fixtures: InstanceFixtures, into inbox: String, valid: Int, notScreened: Int, duplicates: Int, notDICOM: Int,
             truncated: Int, firstIndex: Int = 0) throws -> [DroppedFile] {
  var dropped: [DroppedFile] = []
  var validData: [Data] = []
  for index in 0..<valid {
    let data = fixtures.valid(firstIndex + index)
    validData.append(data)
    let folder = index % 3 == 0 ? "study-\(index % 7)" : ""
    if !folder.isEmpty { try FileManager.default.createDirectory(atPath: inbox + "/" + folder, withIntermediateDirectories: true) }
    let name = (folder.isEmpty ? "" : folder + "/") + "valid-\(index).dcm"
    try drop(data, named: name, into: inbox)
    dropped.append(DroppedFile(name: name, kind: .valid, sha256: sha256(data)))
  }
  for index in 0..<notScreened {
    let data = fixtures.valid(firstIndex + valid + index, lateral: true)
    try drop(data, named: "lateral-\(index).dcm", into: inbox)
    dropped.append(DroppedFile(name: "lateral-\(index).dcm", kind: .notScreened, sha256: sha256(data)))
  }
  for index in 0..<duplicates {
    let data = validData[index % validData.count]
    try drop(data, named: "copy-\(index).dcm", into: inbox)
    dropped.append(DroppedFile(name: "copy-\(index).dcm", kind: .duplicate, sha256: sha256(data)))
  }
  for index in 0..<notDICOM {
    let data = InstanceFixtures.garbage(firstIndex + index)
    try drop(data, named: "garbage-\(index).dcm", into: inbox)
    dropped.append(DroppedFile(name: "garbage-\(index).dcm", kind: .notDICOM, sha256: sha256(data)))
  }
  for index in 0..<truncated {
    let data = fixtures.truncated(firstIndex + valid + notScreened + index)
    try drop(data, named: "truncated-\(index).dcm", into: inbox)
    dropped.append(DroppedFile(name: "truncated-\(index).dcm", kind: .truncated, sha256: sha256(data)))
  }
  return dropped
}

/// Checks that every dropped file is accounted for exactly once: one ledger entry, finished, its file
/// out of the inbox and work area (archived or quarantined with a sidecar), one report per distinct
/// content and no other. Returns the problems found (empty when all is well). `allowCrashQuarantine`:
/// a file may instead be quarantined as crashed_during_processing (a test that kills the daemon).
func accountingProblems(_ folders: DaemonFolders, _ dropped: [DroppedFile], allowCrashQuarantine: Bool = false) throws -> [String] {
  var problems: [String] = []
  let entries = try folders.ledgerEntries()
  let byPath = Dictionary(grouping: entries, by: \.originalPath)
  var reportedHashes: [String: Int] = [:]
  for name in folders.reports() {
    let input = try folders.report(name)["input"] as? [String: Any]
    reportedHashes[input?["sha256"] as? String ?? "?", default: 0] += 1
  }
  for (hash, count) in reportedHashes where count > 1 { problems.append("\(count) reports for content \(hash.prefix(12))") }
  for file in dropped {
    guard let rows = byPath[file.name], rows.count == 1, let entry = rows.first else {
      problems.append("\(file.name): \(byPath[file.name]?.count ?? 0) ledger entries")
      continue
    }
    guard entry.state.isFinished, let disposal = entry.disposal else {
      problems.append("\(file.name): \(entry.state.rawValue), disposal \(entry.disposal ?? "none")")
      continue
    }
    if entry.state == .quarantined {
      let sidecar = folders.quarantine + "/" + entry.workName + ".error.json"
      if !FileManager.default.fileExists(atPath: sidecar) || !FileManager.default.fileExists(atPath: folders.quarantine + "/" + entry.workName) {
        problems.append("\(file.name): quarantined without its file or sidecar")
      }
      if allowCrashQuarantine, entry.errorCode == DaemonError.Code.crashedDuringProcessing.rawValue { continue }
    } else if !disposal.hasPrefix("archive:") || !FileManager.default.fileExists(atPath: String(disposal.dropFirst("archive:".count))) {
      problems.append("\(file.name): not in the archive (\(disposal))")
    }
    let expected: [InputState] = switch file.kind {
    case .valid: [.reported, .duplicate]
    case .notScreened: [.notScreened]
    case .duplicate: [.duplicate, .reported]
    case .notDICOM, .truncated: [.quarantined]
    }
    if !expected.contains(entry.state) {
      problems.append("\(file.name): \(entry.state.rawValue) (\(entry.errorCode ?? ""): \(entry.errorMessage ?? ""))")
    }
    if [.reported, .notScreened].contains(entry.state), reportedHashes[file.sha256] != 1 {
      problems.append("\(file.name): \(reportedHashes[file.sha256] ?? 0) reports for its content")
    }
  }
  let distinctReported = Set(dropped.filter { [.valid, .notScreened, .duplicate].contains($0.kind) }.map(\.sha256))
  let crashed = entries.filter { $0.errorCode == DaemonError.Code.crashedDuringProcessing.rawValue }.compactMap(\.sha256)
  let missing = distinctReported.subtracting(reportedHashes.keys).subtracting(allowCrashQuarantine ? Set(crashed) : [])
  if !missing.isEmpty { problems.append("\(missing.count) contents without a report") }
  if reportedHashes.count > distinctReported.count { problems.append("\(reportedHashes.count) reported contents for \(distinctReported.count)") }
  let leftInInbox = folders.files(in: folders.inbox)
  if !leftInInbox.isEmpty { problems.append("left in the inbox: \(leftInInbox.prefix(5))") }
  let leftInWork = folders.files(in: folders.state + "/work")
  if !leftInWork.isEmpty { problems.append("left in the work area: \(leftInWork.prefix(5))") }
  let temporary = folders.files(in: folders.outbox).filter { $0.hasPrefix(".") }
  if !temporary.isEmpty { problems.append("temporary files in the outbox: \(temporary.prefix(5))") }
  return problems
}

/// Whether the ledger says every dropped file is finished and out of the work area.
func allFinished(_ folders: DaemonFolders, _ dropped: [DroppedFile]) -> Bool {
  guard let entries = try? folders.ledgerEntries() else { return false }
  let finished = entries.filter { $0.state.isFinished && $0.disposal != nil }
  return Set(finished.map(\.originalPath)).isSuperset(of: dropped.map(\.name))
}

/// The peak resident set of a process (VmHWM), in MiB.
func peakResidentMiB(_ processID: Int32) -> Double? {
  guard let status = try? String(contentsOfFile: "/proc/\(processID)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
  return kilobytes / 1024
}

@Suite("isnetd serve: files in, reports out, nothing lost", .serialized)
struct DaemonProcessTests {
  @Test("1,000 files dropped at once: each ends exactly once as a report, a duplicate or in quarantine; memory stays bounded")
  func thousandFiles() throws {
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    let daemon = try DaemonProcess(folders)
    #expect(eventually(timeout: 60) { FileManager.default.fileExists(atPath: folders.state + "/ledger.sqlite") })
    // Screening dominates the time (a debug build); exact copies and broken files cost little.
    let dropped = try dropMix(fixtures, into: folders.inbox, valid: 400, notScreened: 30, duplicates: 400, notDICOM: 160, truncated: 10)
    #expect(dropped.count == 1000)
    let finished = eventually(timeout: 900) { allFinished(folders, dropped) }
    let peak = peakResidentMiB(daemon.processIdentifier)
    #expect(daemon.stop() == 0, "\(daemon.log.suffix(2000))")
    #expect(finished, "\(daemon.log.suffix(2000))")
    let problems = try accountingProblems(folders, dropped)
    #expect(problems.isEmpty, "\(problems.prefix(20))")
    #expect(folders.reports().count == 430)
    let codes = try folders.sidecars().map { try folders.sidecar($0)["code"] as? String ?? "" }
    #expect(codes.count == 170)
    #expect(codes.filter { $0 == "truncated" }.count == 10)
    #expect(codes.filter { $0 == "not_dicom" }.count == 160)
    #expect(try folders.ledgerEntries().filter { $0.state == .duplicate }.count == 400)
    // The peak resident set of the whole process, libtorch and model included (stated in the note).
    let peakMiB = try #require(peak)
    print("peak RSS after 1,000 files: \(Int(peakMiB)) MiB")
    #expect(peakMiB < 2048)
  }

  @Test("kill -9 at random moments, 20 times, restarting each time: still every file exactly once")
  func crashes() throws {
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    let dropped = try dropMix(fixtures, into: folders.inbox, valid: 120, notScreened: 10, duplicates: 20, notDICOM: 8, truncated: 2)
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20 {
      let daemon = try DaemonProcess(folders)
      usleep(UInt32.random(in: 400_000...2_500_000, using: &generator))
      daemon.killNow()
    }
    let daemon = try DaemonProcess(folders)
    let finished = eventually(timeout: 600) { allFinished(folders, dropped) }
    #expect(daemon.stop() == 0)
    #expect(finished, "\(daemon.log.suffix(2000))")
    let problems = try accountingProblems(folders, dropped, allowCrashQuarantine: true)
    #expect(problems.isEmpty, "\(problems.prefix(20))")
  }

  @Test("SIGTERM mid-batch: the batch finishes or stays queued, nothing is half-written, exit 0, and a restart finishes the rest")
  func gracefulStop() throws {
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    var daemon = try DaemonProcess(folders)
    let dropped = try dropMix(fixtures, into: folders.inbox, valid: 60, notScreened: 0, duplicates: 0, notDICOM: 0, truncated: 0)
    #expect(eventually(timeout: 120) { !folders.reports().isEmpty })
    #expect(daemon.stop() == 0, "\(daemon.log.suffix(2000))")
    #expect(daemon.log.contains("stopped; queue"), "\(daemon.log.suffix(1000))")
    #expect(folders.files(in: folders.outbox).allSatisfy { !$0.hasPrefix(".") })
    for entry in try folders.ledgerEntries() {
      let consistent = (entry.state.isFinished && entry.disposal != nil)
        || (entry.state == .claimed && FileManager.default.fileExists(atPath: folders.state + "/work/" + entry.workName))
      #expect(consistent, "\(entry.originalPath): \(entry.state.rawValue)")
    }
    daemon = try DaemonProcess(folders)
    #expect(eventually(timeout: 300) { allFinished(folders, dropped) })
    #expect(daemon.stop() == 0)
    let problems = try accountingProblems(folders, dropped)
    #expect(problems.isEmpty, "\(problems.prefix(20))")
  }

  @Test("a file written slowly in place over several seconds is read once, complete")
  func slowWriter() throws {
    let folders = try DaemonFolders(["settle_seconds": "2", "rescan_seconds": "1"])
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    let daemon = try DaemonProcess(folders)
    #expect(eventually(timeout: 60) { FileManager.default.fileExists(atPath: folders.state + "/ledger.sqlite") })
    let data = fixtures.valid(7)
    let path = folders.inbox + "/slow.dcm"
    #expect(FileManager.default.createFile(atPath: path, contents: nil))
    let handle = try #require(FileHandle(forWritingAtPath: path))
    let pieces = 6
    let pieceSize = (data.count + pieces - 1) / pieces
    for piece in 0..<pieces {
      handle.write(data[(piece * pieceSize)..<min((piece + 1) * pieceSize, data.count)])
      usleep(800_000)  // the rescans every second see it growing, and a completion event for the empty file came first
    }
    try handle.close()
    let dropped = [DroppedFile(name: "slow.dcm", kind: .valid, sha256: sha256(data))]
    #expect(eventually(timeout: 120) { allFinished(folders, dropped) })
    #expect(daemon.stop() == 0)
    let entries = try folders.ledgerEntries()
    #expect(entries.count == 1)
    #expect(entries.first?.state == .reported)
    #expect(entries.first?.sizeBytes == Int64(data.count))
    #expect(try accountingProblems(folders, dropped).isEmpty)
  }

  @Test("a different file with the same SOP Instance UID is quarantined, never written over the first one's report")
  func sopInstanceUIDConflict() throws {
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    let daemon = try DaemonProcess(folders)
    let first = fixtures.valid(3)
    try drop(first, named: "first.dcm", into: folders.inbox)
    #expect(eventually(timeout: 120) { folders.reports().count == 1 })
    let reportBefore = try Data(contentsOf: URL(fileURLWithPath: folders.outbox + "/" + folders.reports()[0]))
    var second = first
    second[second.count - 10] ^= 0xFF  // same UID, other pixels
    try drop(second, named: "second.dcm", into: folders.inbox)
    #expect(eventually(timeout: 120) { folders.sidecars().count == 1 })
    #expect(daemon.stop() == 0)
    #expect(try folders.sidecar(folders.sidecars()[0])["code"] as? String == "sop_instance_uid_conflict")
    #expect(folders.reports().count == 1)
    #expect(try Data(contentsOf: URL(fileURLWithPath: folders.outbox + "/" + folders.reports()[0])) == reportBefore)
  }

  @Test("a claim cut short by a crash (renamed into the work area, not yet recorded as claimed) is screened exactly once")
  func claimCutShort() throws {
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    var daemon = try DaemonProcess(folders)
    #expect(daemon.stop() == 0)
    let ledger = try Ledger(path: folders.state + "/ledger.sqlite")
    let entry = try ledger.beginClaim(originalPath: "cut.dcm") { "\($0)-cut.dcm" }
    try fixtures.valid(12).write(to: URL(fileURLWithPath: folders.state + "/work/" + entry.workName))
    daemon = try DaemonProcess(folders)
    let dropped = [DroppedFile(name: "cut.dcm", kind: .valid, sha256: sha256(fixtures.valid(12)))]
    #expect(eventually(timeout: 60) { allFinished(folders, dropped) })
    // Time for a second, wrong screening of the same entry to show.
    usleep(1_500_000)
    #expect(daemon.stop() == 0)
    #expect(try folders.ledgerEntries().map(\.state) == [.reported])
    #expect(folders.sidecars().isEmpty)
    #expect(try accountingProblems(folders, dropped).isEmpty)
  }

  @Test("a file that was being processed when the process died twice is quarantined as crashed_during_processing")
  func crashLoopGuard() throws {
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    // A first run makes the state folder; then the ledger is set as two crashed runs leave it.
    var daemon = try DaemonProcess(folders)
    #expect(eventually(timeout: 60) { FileManager.default.fileExists(atPath: folders.state + "/ledger.sqlite") })
    #expect(daemon.stop() == 0)
    let ledger = try Ledger(path: folders.state + "/ledger.sqlite")
    var entry = try ledger.beginClaim(originalPath: "poison.dcm") { "\($0)-poison.dcm" }
    try fixtures.valid(11).write(to: URL(fileURLWithPath: folders.state + "/work/" + entry.workName))
    entry.state = .processing
    entry.attempts = 2
    try ledger.save(entry)
    daemon = try DaemonProcess(folders)
    #expect(eventually(timeout: 60) { folders.sidecars().count == 1 })
    #expect(daemon.stop() == 0)
    #expect(try folders.sidecar(folders.sidecars()[0])["code"] as? String == "crashed_during_processing")
    #expect(folders.reports().isEmpty)
  }
}
