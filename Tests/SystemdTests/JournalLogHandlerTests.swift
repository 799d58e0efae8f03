import Foundation
import Logging
import Systemd
import Testing
import TestSupport

/// A value no earlier run can have left in the journal.
private func uniqueMarker() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "") }

/// The single journal entry whose ISNETD_TEST_MARKER is `marker`.
private func journalEntry(marked marker: String) throws -> [String: Any] {
  let entries = try Journald.awaitEntries(matching: "ISNETD_TEST_MARKER=\(marker)")
  #expect(entries.count == 1)
  return try #require(entries.first)
}

private struct ScreeningFailed: Error, CustomStringConvertible {
  var description: String { "corrupt_pixel_data" }
}

@Suite("JournalLogHandler against a real journald")
struct JournalLogHandlerTests {
  @Test("an entry carries message, MESSAGE_ID, identifier, code location and upper-cased fields; patient fields never")
  func structuredEntry() throws {
    if let reason = Journald.ensureRunning() {
      print("skipping journald test: \(reason)")
      return
    }
    let marker = uniqueMarker()
    var logger = Logger(label: "isnetd.test") { _ in JournalLogHandler(syslogIdentifier: "isnetd-test") }
    logger[metadataKey: "isnetd_inbox"] = "/srv/isnetd/inbox"
    logger[metadataKey: "isnetd_model_version"] = "overridden by the call"
    logger[metadataKey: "patient_id"] = "LOGGER-\(marker)"
    let line: UInt = #line + 1
    logger.info("screened 1.2.3.4: pneumonia 0.93", metadata: [
      "MESSAGE_ID": "3f45e85f05eb4bfb84643649d1df161b", "ISNETD_TEST_MARKER": "\(marker)",
      "ISNETD_EVENT": "screened", "ISNETD_SOP_INSTANCE_UID": "1.2.3.4", "isnetd_model_version": "2026.11.1",
      "PATIENT_NAME": "Doe^Jane", "PatientID": "ID-\(marker)", "patients_birth_date": "19700101",
      "date_of_birth": "19700102", "OtherPatientIDs": "OTHER-\(marker)",
      "ISNETD_DICOM": ["Modality": "CR", "PatientName": "Roe^Richard"],
      "PRIORITY": "0",  // the handler's own field: not replaceable by metadata
    ])

    let entry = try journalEntry(marked: marker)
    #expect(entry["MESSAGE"] as? String == "screened 1.2.3.4: pneumonia 0.93")
    #expect(entry["PRIORITY"] as? String == "6")
    #expect(entry["MESSAGE_ID"] as? String == "3f45e85f05eb4bfb84643649d1df161b")
    #expect(entry["SYSLOG_IDENTIFIER"] as? String == "isnetd-test")
    #expect(entry["CODE_FILE"] as? String == "SystemdTests/JournalLogHandlerTests.swift")
    #expect(entry["CODE_LINE"] as? String == "\(line)")
    #expect(entry["CODE_FUNC"] as? String == "structuredEntry()")
    #expect(entry["ISNETD_EVENT"] as? String == "screened")
    #expect(entry["ISNETD_SOP_INSTANCE_UID"] as? String == "1.2.3.4")
    #expect(entry["ISNETD_MODEL_VERSION"] as? String == "2026.11.1")
    #expect(entry["ISNETD_INBOX"] as? String == "/srv/isnetd/inbox")
    #expect(entry["ISNETD_DICOM"] as? String == #"["Modality": "CR"]"#)
    #expect(entry["isnetd_model_version"] == nil)

    let names = entry.keys.filter { $0.contains("PATIENT") || $0.contains("BIRTH") }
    #expect(names.isEmpty)
    let text = String(decoding: try JSONSerialization.data(withJSONObject: entry), as: UTF8.self)
    for value in ["Doe^Jane", "Roe^Richard", "ID-\(marker)", "LOGGER-\(marker)", "OTHER-\(marker)", "19700101", "19700102"] {
      #expect(!text.contains(value), "patient value \(value) reached the journal")
    }
  }

  @Test("PRIORITY follows the level", arguments: [
    (Logger.Level.trace, "7"), (.debug, "7"), (.info, "6"), (.notice, "5"), (.warning, "4"), (.error, "3"),
    (.critical, "2"),
  ])
  func priority(level: Logger.Level, expected: String) throws {
    if let reason = Journald.ensureRunning() {
      print("skipping journald test: \(reason)")
      return
    }
    let marker = uniqueMarker()
    let logger = Logger(label: "isnetd.test") { _ in
      JournalLogHandler(syslogIdentifier: "isnetd-test", logLevel: .trace)
    }
    logger.log(level: level, "level \(level)", metadata: ["ISNETD_TEST_MARKER": "\(marker)"])
    let entry = try journalEntry(marked: marker)
    #expect(entry["PRIORITY"] as? String == expected)
    #expect(entry["MESSAGE"] as? String == "level \(level)")
  }

  @Test("provider metadata sits between the handler's and the call's; arrays, dictionaries and errors flatten stably")
  func layersAndValues() throws {
    if let reason = Journald.ensureRunning() {
      print("skipping journald test: \(reason)")
      return
    }
    let marker = uniqueMarker()
    let provider = Logger.MetadataProvider {
      ["isnetd_request": "from provider", "isnetd_layer": "provider", "isnetd_handler_layer": "provider"]
    }
    var logger = Logger(label: "isnetd.test") { _ in
      JournalLogHandler(syslogIdentifier: "isnetd-test", metadataProvider: provider)
    }
    logger[metadataKey: "isnetd_handler_layer"] = "handler"
    logger[metadataKey: "isnetd_handler_only"] = "handler"
    logger.error("screening failed", error: ScreeningFailed(), metadata: [
      "ISNETD_TEST_MARKER": "\(marker)", "isnetd_layer": "call",
      "ISNETD_LIST": ["b", "a", ["nested"]],
      "ISNETD_TABLE": ["z": "1", "a": ["x", "y"], "m": [:]],
    ])

    let entry = try journalEntry(marked: marker)
    #expect(entry["PRIORITY"] as? String == "3")
    #expect(entry["ISNETD_REQUEST"] as? String == "from provider")
    #expect(entry["ISNETD_LAYER"] as? String == "call")
    #expect(entry["ISNETD_HANDLER_LAYER"] as? String == "provider")
    #expect(entry["ISNETD_HANDLER_ONLY"] as? String == "handler")
    #expect(entry["ISNETD_LIST"] as? String == #"["b", "a", ["nested"]]"#)
    #expect(entry["ISNETD_TABLE"] as? String == #"["a": ["x", "y"], "m": [:], "z": "1"]"#)
    #expect(entry["ERROR_MESSAGE"] as? String == "corrupt_pixel_data")
    #expect((entry["ERROR_TYPE"] as? String)?.hasSuffix("ScreeningFailed") == true)
  }

  @Test("entries the journal refuses go to standard error, are counted, and the reason is written once")
  func refusedEntries() async {
    // A child process that cannot open the journal socket: every descriptor is taken (EMFILE is a real
    // sd_journal_sendv failure; the child has no socket cached yet).
    let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
      var limit = rlimit()
      getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
      var lowered = limit
      lowered.rlim_cur = 256
      setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered)
      var taken: [Int32] = []
      while case let descriptor = dup(0), descriptor >= 0 { taken.append(descriptor) }
      let logger = Logger(label: "isnetd.test") { _ in JournalLogHandler(syslogIdentifier: "isnetd-test") }
      logger.warning("first refused", metadata: ["ISNETD_EVENT": "quarantined", "PATIENT_NAME": "Doe^Jane"])
      logger.info("second refused", metadata: ["MESSAGE_ID": "3f45e85f05eb4bfb84643649d1df161b"])
      let undelivered = JournalLogHandler.undeliveredEntries
      for descriptor in taken { close(descriptor) }
      setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
      exit(undelivered == 2 ? EXIT_SUCCESS : EXIT_FAILURE)
    }
    let standardError = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    let lines = standardError.split(separator: "\n").map(String.init)
    #expect(lines.filter { $0.contains("the journal refuses entries") }.count == 1)
    #expect(lines.contains { $0.contains("the journal refuses entries (sd_journal_sendv: Too many open files)") })
    #expect(lines.contains { $0.contains(" warning  first refused ISNETD_EVENT=quarantined") })
    #expect(lines.contains { $0.hasSuffix(" info     second refused") })
    #expect(!standardError.contains("Doe^Jane"))
  }
}

@Suite("TerminalLogHandler and LogDestination")
struct TerminalLogHandlerTests {
  /// What `log` writes through a `TerminalLogHandler` into a pipe.
  private func terminalOutput(logLevel: Logger.Level = .info, _ log: (Logger) -> Void) throws -> String {
    var descriptors: [Int32] = [0, 0]
    try #require(pipe(&descriptors) == 0)
    let logger = Logger(label: "isnetd.test") { _ in
      TerminalLogHandler(fileDescriptor: descriptors[1], logLevel: logLevel)
    }
    log(logger)
    close(descriptors[1])
    let output = FileHandle(fileDescriptor: descriptors[0], closeOnDealloc: true).readDataToEndOfFile()
    return String(decoding: output, as: UTF8.self)
  }

  @Test("one line per entry: time, level, message, then the fields without MESSAGE_ID or patient data")
  func lineFormat() throws {
    let output = try terminalOutput { logger in
      logger.info("screened 1.2.3.4: pneumonia 0.93\nsecond line", metadata: [
        "MESSAGE_ID": "3f45e85f05eb4bfb84643649d1df161b", "ISNETD_EVENT": "screened",
        "isnetd_sop_instance_uid": "1.2.3.4", "ISNETD_NOTE": "two words", "ISNETD_EMPTY": "",
        "PATIENT_NAME": "Doe^Jane",
      ])
      logger.warning("quarantined")
      logger.debug("below the level: not written")
    }
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    #expect(lines.count == 3)  // two entries and the empty rest after the last newline
    let time = #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}/#
    let first = try #require(try time.prefixMatch(in: lines[0]))
    #expect(lines[0][first.range.upperBound...] == #" info     screened 1.2.3.4: pneumonia 0.93\nsecond line"#
      + #" ISNETD_EMPTY="" ISNETD_EVENT=screened ISNETD_NOTE="two words" ISNETD_SOP_INSTANCE_UID=1.2.3.4"#)
    let second = try #require(try time.prefixMatch(in: lines[1]))
    #expect(lines[1][second.range.upperBound...] == " warning  quarantined")
    #expect(lines[2].isEmpty)
  }

  @Test("$JOURNAL_STREAM counts only when it names standard error's device and inode")
  func journalStreamDetection() throws {
    var status = stat()
    try #require(fstat(STDERR_FILENO, &status) == 0)
    let matching = "\(status.st_dev):\(status.st_ino)"
    let otherInode = "\(status.st_dev):\(status.st_ino + 1)"
    let otherDevice = "\(status.st_dev + 1):\(status.st_ino)"

    #expect(LogDestination.standardErrorIsJournal(journalStream: matching))
    for value in [otherInode, otherDevice, nil, "", "garbage", "\(matching):1", "\(status.st_dev):"] {
      #expect(!LogDestination.standardErrorIsJournal(journalStream: value), "\(value ?? "nil")")
    }
    #expect(LogDestination.automatic.resolved(journalStream: matching) == .journal)
    #expect(LogDestination.automatic.resolved(journalStream: otherInode) == .standardError)
    #expect(LogDestination.automatic.resolved(journalStream: nil) == .standardError)
    // An explicit choice wins over detection.
    #expect(LogDestination.standardError.resolved(journalStream: matching) == .standardError)
    #expect(LogDestination.journal.resolved(journalStream: nil) == .journal)
  }

  @Test("the configuration spellings and the handlers each destination makes")
  func destinations() {
    #expect(LogDestination.allCases.map(\.rawValue) == ["automatic", "journal", "stderr"])
    #expect(LogDestination.journal.handlerFactory(syslogIdentifier: "isnetd")("isnetd.test") is JournalLogHandler)
    let terminal = LogDestination.standardError.handlerFactory(syslogIdentifier: "isnetd", logLevel: .debug)("isnetd.test")
    #expect((terminal as? TerminalLogHandler)?.logLevel == .debug)
    #expect((terminal as? TerminalLogHandler)?.fileDescriptor == STDERR_FILENO)
  }
}
