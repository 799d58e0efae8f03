import Daemon
import Foundation
import Glibc
import Testing
import TestSupport
import Training

@Suite("isnetd serve under systemd's protocols: sd_notify and the journal", .serialized)
struct DaemonSystemdTests {
  @Test("NOTIFY_SOCKET sees READY=1, STATUS, WATCHDOG=1, RELOADING=1 then READY=1 again, and STOPPING=1, in that order")
  func notifyProtocol() throws {
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    let socketPath = folders.directory.path("notify.socket")
    let socket = try UnixDatagramSocket()
    try socket.bind(to: socketPath)
    var messages: [String] = []
    func collect() { while case let message = socket.receive(), !message.isEmpty { messages.append(message) } }
    let daemon = try DaemonProcess(folders, environment: ["NOTIFY_SOCKET": socketPath, "WATCHDOG_USEC": "1000000"])
    #expect(eventually(timeout: 60) { collect(); return messages.contains { $0.contains("READY=1") } }, "\(daemon.log)")
    try drop(fixtures.valid(1), named: "a.dcm", into: folders.inbox)
    #expect(eventually(timeout: 60) { collect(); return messages.contains { $0.contains("1 screened") || $0.contains("queue 0, 1") } })
    #expect(eventually(timeout: 10) { collect(); return messages.filter { $0 == "WATCHDOG=1" }.count >= 2 })
    daemon.send(SIGHUP)
    #expect(eventually(timeout: 60) { collect(); return messages.contains { $0.hasPrefix("RELOADING=1") } })
    #expect(eventually(timeout: 60) { collect(); return messages.filter { $0.contains("READY=1") }.count >= 2 })
    #expect(daemon.stop() == 0, "\(daemon.log.suffix(1500))")
    collect()
    func first(_ predicate: (String) -> Bool) -> Int? { messages.firstIndex(where: predicate) }
    let ready = try #require(first { $0.hasPrefix("READY=1") })
    let status = try #require(first { $0.contains("STATUS=") && $0.contains("1 screened") })
    let watchdog = try #require(first { $0 == "WATCHDOG=1" })
    let reloading = try #require(first { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
    let readyAgain = try #require(messages.indices.first { $0 > reloading && messages[$0].hasPrefix("READY=1") })
    let stopping = try #require(first { $0 == "STOPPING=1" })
    #expect(ready < status && ready < watchdog && watchdog < reloading && reloading < readyAgain && readyAgain < stopping,
            "\(messages)")
    #expect(messages[ready].contains("STATUS=queue"))
  }

  @Test("a reload that fails (a model bundle that does not exist) keeps the old model serving")
  func failedReload() throws {
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    let daemon = try DaemonProcess(folders)
    #expect(eventually(timeout: 60) { daemon.log.contains("serving ") })
    try folders.writeConfiguration(["model": folders.directory.path("no-such.isnetd-model")])
    daemon.send(SIGHUP)
    #expect(eventually(timeout: 60) { daemon.log.contains("reload failed, still serving model") }, "\(daemon.log)")
    try drop(fixtures.valid(2), named: "after-reload.dcm", into: folders.inbox)
    #expect(eventually(timeout: 60) { folders.reports().count == 1 })
    #expect(daemon.stop() == 0)
  }

  @Test("journal entries per event with upper-case fields, found by SOP Instance UID; no patient name anywhere")
  func journal() throws {
    if let problem = Journald.ensureRunning() {
      Issue.record("no journald: \(problem)")
      return
    }
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    // Fresh UIDs per run: entries of earlier runs never satisfy this test.
    let base = Int.random(in: 0..<90_000)
    let daemon = try DaemonProcess(folders, arguments: ["--log", "journal"])
    // Modalities often name files after the patient: such names must not reach the journal either.
    try drop(fixtures.valid(base), named: "Doe_Jane_chest.dcm", into: folders.inbox)
    try drop(fixtures.valid(base + 1), named: "Doe_Jane_followup.dcm", into: folders.inbox)
    try drop(InstanceFixtures.garbage(base), named: "Doe_Jane_broken.dcm", into: folders.inbox)
    #expect(eventually(timeout: 120) { folders.reports().count == 2 && folders.sidecars().count == 1 })
    #expect(daemon.stop() == 0)
    for index in [base, base + 1] {
      let entries = try Journald.awaitEntries(matching: "ISNETD_SOP_INSTANCE_UID=\(fixtures.uid(index))")
      let screened = try #require(entries.first { ($0["ISNETD_EVENT"] as? String) == "screened" || ($0["ISNETD_EVENT"] as? String) == "flagged" })
      #expect([DaemonEvent.screened.messageID, DaemonEvent.flagged.messageID].contains(screened["MESSAGE_ID"] as? String))
      #expect(screened["SYSLOG_IDENTIFIER"] as? String == "isnetd")
      #expect(["6", "4"].contains(screened["PRIORITY"] as? String))
      #expect(screened["ISNETD_PREDICTION"] is String)
      #expect(["true", "false", "not_assessable"].contains(screened["ISNETD_SHORTCUT_SUSPECTED"] as? String))
      #expect(screened["ISNETD_MODEL_VERSION"] is String)
      #expect(Int(screened["ISNETD_DURATION_MS"] as? String ?? "") != nil)
    }
    let pid = String(daemon.processIdentifier)
    let all = try Journald.awaitEntries(matching: "_PID=\(pid)")
    let events = Set(all.compactMap { $0["ISNETD_EVENT"] as? String })
    #expect(events.isSuperset(of: ["model_loaded", "started", "quarantined"]), "\(events)")
    let quarantined = try #require(all.first { ($0["ISNETD_EVENT"] as? String) == "quarantined" })
    #expect(quarantined["MESSAGE_ID"] as? String == DaemonEvent.quarantined.messageID)
    #expect(quarantined["PRIORITY"] as? String == "3")
    #expect(quarantined["ISNETD_ERROR_CODE"] as? String == "not_dicom")
    #expect(events.contains("received"))
    // The recipes of docs/operations.md, run as written (the UID placeholder filled in).
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let recipes = try String(contentsOfFile: root + "/docs/operations.md", encoding: .utf8).split(separator: "\n")
      .filter { $0.hasPrefix("journalctl ") }.map { $0.replacingOccurrences(of: "<SOP Instance UID>", with: fixtures.uid(base)) }
    #expect(recipes.count == 4)
    for recipe in recipes {
      let output = try Command.run("sh", ["-c", recipe + " --no-pager"])
      if recipe.contains("ISNETD_SOP_INSTANCE_UID") { #expect(output.contains(fixtures.uid(base))) }
      if recipe.contains(DaemonEvent.quarantined.messageID) { #expect(output.contains("not_dicom")) }
    }
    // The fixtures carry the patient name Test^Phantom: it must not reach the journal.
    let text = String(decoding: try JSONSerialization.data(withJSONObject: all), as: UTF8.self)
    #expect(!text.contains("Phantom"))
    #expect(!text.contains("Doe_Jane"))
    #expect(!text.contains("PATIENT"))
  }

  @Test("retrain events reach the journal with their MESSAGE_ID, priority and fields: a scheduled run without data skips, a manual one fails with its code")
  func retrainJournal() throws {
    if let problem = Journald.ensureRunning() {
      Issue.record("no journald: \(problem)")
      return
    }
    // A labelled-data folder that does not exist.
    let folders = try DaemonFolders(["retrain.data": "/nonexistent/isnetd-labelled-\(UUID().uuidString)"])
    var identifiers: [String] = []
    for (arguments, expected) in [(["--scheduled"], 0), ([], 1)] {
      let retrain = try BackgroundProcess(isnetdExecutable, ["retrain", "--config", folders.configPath, "--log", "journal"] + arguments,
                                          logPath: folders.directory.path("retrain-\(expected).log"))
      let status = retrain.waitForExit(timeout: 120)
      #expect(status.map { ($0 >> 8) & 0xff } == Int32(expected), "\(retrain.log)")
      identifiers.append(String(retrain.processIdentifier))
    }
    let skipped = try #require(try Journald.awaitEntries(matching: "_PID=\(identifiers[0])").first { $0["ISNETD_EVENT"] as? String == "retrain_skipped" })
    #expect(skipped["MESSAGE_ID"] as? String == RetrainEvent.skipped.messageID)
    #expect(skipped["SYSLOG_IDENTIFIER"] as? String == "isnetd-retrain")
    #expect(skipped["PRIORITY"] as? String == "6")
    #expect((skipped["ISNETD_REASON"] as? String)?.contains("no labelled data") == true, "\(skipped)")
    let failed = try #require(try Journald.awaitEntries(matching: "_PID=\(identifiers[1])").first { $0["ISNETD_EVENT"] as? String == "retrain_failed" })
    #expect(failed["MESSAGE_ID"] as? String == RetrainEvent.failed.messageID)
    #expect(failed["PRIORITY"] as? String == "3")
    #expect(failed["ISNETD_ERROR_CODE"] as? String == "dataset_not_a_folder", "\(failed)")
    // The recipes of docs/retraining.md, run as written.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let recipes = try String(contentsOfFile: root + "/docs/retraining.md", encoding: .utf8).split(separator: "\n")
      .filter { $0.hasPrefix("journalctl ") }
    #expect(recipes.count == 2)
    for recipe in recipes {
      let output = try Command.run("sh", ["-c", recipe + " --no-pager"])
      #expect(output.contains(recipe.contains("retrain_failed") ? "ISNETD_ERROR_CODE=dataset_not_a_folder" : "retrain skipped"), "\(recipe): \(output.suffix(500))")
    }
  }
}
