import Foundation
import Systemd
import Testing
import TestSupport

@Suite("journald and sd_notify")
struct JournalTests {
  @Test("a structured entry sent with sd_journal_sendv is found by journalctl FIELD=value")
  func structuredEntry() throws {
    if let reason = Journald.ensureRunning() {
      print("skipping journald test: \(reason)")
      return
    }
    let marker = UUID().uuidString.replacingOccurrences(of: "-", with: "")
    try Journal.send("isnetd journal test \(marker)", priority: .warning, fields: [
      (name: "ISNETD_TEST_MARKER", value: marker),
      (name: "isnetd_model_version", value: "test-1"),  // lower case: normalised, not dropped
    ])
    let entries = try Journald.awaitEntries(matching: "ISNETD_TEST_MARKER=\(marker)")
    #expect(entries.count == 1)
    let entry = try #require(entries.first)
    #expect(entry["MESSAGE"] as? String == "isnetd journal test \(marker)")
    #expect(entry["PRIORITY"] as? String == "4")
    #expect(entry["ISNETD_MODEL_VERSION"] as? String == "test-1")
  }

  @Test("field names are normalised to what journald keeps", arguments: [
    ("sop_instance_uid", "SOP_INSTANCE_UID"),
    ("ISNETD_EVENT", "ISNETD_EVENT"),
    ("model.version", "MODEL_VERSION"),
    ("_PID", "PID"),
    ("2fast", "FAST"),
  ])
  func fieldNames(input: String, expected: String) {
    #expect(Journal.fieldName(input) == expected)
  }

  @Test("a name with nothing usable is refused")
  func unusableName() {
    #expect(Journal.fieldName("___") == nil)
    #expect(throws: JournalError.self) { try Journal.send("x", fields: [(name: "...", value: "v")]) }
  }

  @Test("sd_notify reaches a listening socket with the exact state")
  func notifyDelivers() throws {
    let directory = try TemporaryDirectory()
    let socketPath = directory.path("notify.sock")
    let listener = try UnixDatagramSocket()
    try listener.bind(to: socketPath)
    setenv("NOTIFY_SOCKET", socketPath, 1)
    defer { unsetenv("NOTIFY_SOCKET") }
    #expect(try Notifier().ready(status: "idle, 0 processed"))
    #expect(listener.receive() == "READY=1\nSTATUS=idle, 0 processed")
  }

  @Test("without NOTIFY_SOCKET notifications are no-ops")
  func notifyWithoutManager() throws {
    unsetenv("NOTIFY_SOCKET")
    #expect(try Notifier().watchdog() == false)
    #expect(Notifier().watchdogInterval == nil)
  }
}
