import Daemon
import Foundation
import Glibc
import Testing
import TestSupport

@Suite("isnetd check-config and status")
struct DaemonCommandTests {
  @Test("check-config prints every effective value with its source; an unknown key exits 2 naming file, line and key")
  func checkConfig() throws {
    let folders = try DaemonFolders(["batch_size": "3"])
    let output = try Command.run(isnetdExecutable, ["check-config", "--config", folders.configPath, "--threads", "1"],
                                 environment: ["ISNETD_PICTURE_SIZE": "512"])
    let lines = output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    func line(_ key: String) -> [String]? { lines.first { $0.first == key } }
    #expect(line("batch_size")?.dropFirst().first == "3")
    #expect(line("batch_size")?.last?.hasPrefix("[\(folders.configPath):") == true)
    #expect(line("threads")?.suffix(3) == ["[command", "line", "--threads]"])
    #expect(line("picture_size")?.dropFirst().first == "512")
    #expect(line("picture_size")?.last == "ISNETD_PICTURE_SIZE]")
    #expect(line("quarantine")?.dropFirst().first == folders.state + "/quarantine")
    #expect(output.hasSuffix("configuration is valid\n"))

    try "inbox: /i\noutbox: /o\nstate: /s\nbatch: 8\n".write(toFile: folders.configPath, atomically: true, encoding: .utf8)
    let failure = try #require(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["check-config", "--config", folders.configPath])
    }
    #expect(failure.status == 2)
    #expect(failure.output.contains("\(folders.configPath):4: unknown key batch"))
  }

  @Test("status reads outcomes, verdicts, the last run and the last errors from the ledger; the metrics file agrees")
  func status() throws {
    let metricsDirectory = try TemporaryDirectory(prefix: "isnetd-metrics")
    let metricsFile = metricsDirectory.path("isnetd.prom")
    let folders = try DaemonFolders(["metrics_file": metricsFile])
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    let daemon = try DaemonProcess(folders)
    try drop(fixtures.valid(5), named: "good.dcm", into: folders.inbox)
    try drop(fixtures.valid(6, lateral: true), named: "lateral.dcm", into: folders.inbox)
    try drop(InstanceFixtures.garbage(1), named: "broken.dcm", into: folders.inbox)
    #expect(eventually(timeout: 120) { folders.reports().count == 2 && folders.sidecars().count == 1 })
    let running = try Command.run(isnetdExecutable, ["status", "--state", folders.state, "--inputs", "3"])
    #expect(running.hasPrefix("running: pid \(daemon.processIdentifier)"), "\(running)")
    #expect(daemon.stop() == 0)
    let text = try Command.run(isnetdExecutable, ["status", "--state", folders.state, "--inputs", "3"])
    #expect(text.hasPrefix("not running: last run (pid \(daemon.processIdentifier))"), "\(text)")
    #expect(text.contains("inputs: 1 reported, 1 not screened, 1 quarantined, 0 duplicate, 0 claimed, 0 processing"))
    #expect(text.contains("backlog: 0 in the work area, 0 waiting in the inbox"))
    #expect(text.contains("broken.dcm: quarantined: not_dicom"))
    #expect(text.contains("lateral.dcm: not_screened -> \(fixtures.uid(6)).json"))
    let json = try JSONSerialization.jsonObject(with: Data(try Command.run(isnetdExecutable, ["status", "--state", folders.state, "--json"]).utf8)) as! [String: Any]
    #expect((json["inputs"] as? [String: Int])?["quarantined"] == 1)
    #expect(((json["recentErrors"] as? [[String: Any]])?.first?["code"] as? String) == "not_dicom")
    #expect((json["lastRun"] as? [String: Any])?["running"] as? Bool == false)

    let metrics = try String(contentsOfFile: metricsFile, encoding: .utf8)
    #expect(metrics.contains("isnetd_inputs_total{outcome=\"quarantined\"} 1"), "\(metrics)")
    #expect(metrics.contains("isnetd_inputs_total{outcome=\"not_screened\"} 1"))
    #expect(metrics.contains("isnetd_model_info{version="))
    #expect(metrics.contains("isnetd_stage_seconds_bucket{stage=\"classify\""))
    #expect(metrics.contains("isnetd_drop_to_report_seconds_count 2"))
    let missing = try #require(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["status", "--state", folders.directory.path("nowhere")])
    }
    #expect(missing.output.contains("holds no ledger"))
  }
}

@Suite("docs/operations.md runs as written")
struct OperationsDocumentTests {
  @Test("every isnetd command of docs/operations.md, with its folders moved under a scratch root")
  func commands() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let scratch = try TemporaryDirectory(prefix: "isnetd-operations")
    let text = try String(contentsOfFile: root + "/docs/operations.md", encoding: .utf8)
    // The documented paths, moved: the configuration is the shipped one with its folders moved too.
    func moved(_ line: String) -> String {
      line.replacingOccurrences(of: "/etc/isnetd/isnetd.conf", with: scratch.path("isnetd.conf"))
        .replacingOccurrences(of: "/srv/isnetd", with: scratch.path("srv"))
        .replacingOccurrences(of: "/var/lib/isnetd", with: scratch.path("state"))
    }
    let shipped = try String(contentsOfFile: root + "/systemd/isnetd.conf", encoding: .utf8)
    try moved(shipped).write(toFile: scratch.path("isnetd.conf"), atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: scratch.path("srv"), withIntermediateDirectories: false)
    let commands = text.split(separator: "\n").filter { $0.hasPrefix("isnetd ") }.map { moved(String($0)) }
    #expect(commands.count == 4, "\(commands)")
    for command in commands {
      var arguments = command.split(separator: " ").dropFirst().map(String.init)
      if arguments.first == "serve" {
        // The daemon runs until SIGTERM: start it, wait until it serves, stop it.
        arguments += ["--log", "stderr"]
        let log = scratch.path("serve.log")
        let daemon = try BackgroundProcess(isnetdExecutable, arguments, logPath: log)
        #expect(eventually(timeout: 60) { daemon.log.contains("serving ") }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
      } else {
        let output = try Command.run(isnetdExecutable, arguments)
        #expect(!output.isEmpty, "\(command)")
      }
    }
  }
}
