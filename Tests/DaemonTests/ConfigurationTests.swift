import DICOM
import Daemon
import Foundation
import Testing
import TestSupport

@Suite("Daemon configuration")
struct ConfigurationTests {
  let directory: TemporaryDirectory

  init() throws {
    directory = try TemporaryDirectory(prefix: "isnetd-config")
  }

  func write(_ text: String) throws -> String {
    let path = directory.path("isnetd-\(UUID().uuidString.prefix(6)).conf")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  func failure(_ body: () throws -> ResolvedConfiguration) -> String {
    do {
      _ = try body()
      return "no error"
    } catch {
      return String(describing: error)
    }
  }

  @Test("file, environment and command line each win over the one before, and every value says where it came from")
  func precedence() throws {
    let file = try write("inbox: /srv/in\noutbox: /srv/out\nstate: /var/lib/x\nbatch_size: 4\nthreads: 3\nacceptance:\n  views: [PA]\n")
    let resolved = try DaemonConfiguration.resolve(
      file: file, environment: ["ISNETD_BATCH_SIZE": "6", "ISNETD_ACCEPTANCE_VIEWS": "AP, PA", "UNRELATED": "x"],
      commandLine: ["threads": ("--threads", "1")])
    let configuration = resolved.configuration
    #expect(configuration.inbox == "/srv/in")
    #expect(configuration.batchSize == 6)
    #expect(configuration.threads == 1)
    #expect(configuration.acceptance.views == ["AP", "PA"])
    #expect(configuration.quarantine == "/var/lib/x/quarantine")
    #expect(configuration.archive == "/var/lib/x/archive")
    #expect(configuration.afterSuccess == .archive)
    #expect(configuration.model == nil)
    let sources = Dictionary(uniqueKeysWithValues: resolved.entries.map { ($0.key, $0.source.description) })
    #expect(sources["inbox"] == "\(file):1")
    #expect(sources["acceptance.views"] == "environment ISNETD_ACCEPTANCE_VIEWS")
    #expect(sources["batch_size"] == "environment ISNETD_BATCH_SIZE")
    #expect(sources["threads"] == "command line --threads")
    #expect(sources["quarantine"] == "default")
    #expect(resolved.entries.map(\.key) == DaemonConfiguration.keyNames)
  }

  @Test("with no file at all, the folders from the command line suffice")
  func commandLineOnly() throws {
    let resolved = try DaemonConfiguration.resolve(
      file: nil, environment: [:],
      commandLine: ["inbox": ("--inbox", "/a/in"), "outbox": ("--outbox", "/a/out"), "state": ("--state", "/a/state")])
    #expect(resolved.configuration.workArea == "/a/state/work")
    #expect(resolved.configuration.ledgerPath == "/a/state/ledger.sqlite")
  }

  @Test("an unknown key, a wrong value or a missing folder is an error naming the key, the value and where it came from")
  func errors() throws {
    let base = "inbox: /i\noutbox: /o\nstate: /s\n"
    #expect(failure { try DaemonConfiguration.resolve(file: try write(base + "batchsize: 4\n"), environment: [:]) }
      .contains(":4: unknown key batchsize"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write(base + "acceptance:\n  view: [PA]\n"), environment: [:]) }
      .contains(":5: unknown key acceptance.view"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write(base + "batch_size: 0\n"), environment: [:]) }
      .contains("batch_size (from"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write(base), environment: ["ISNETD_SETTLE_SECONDS": "nan"]) }
      .contains("settle_seconds (from environment ISNETD_SETTLE_SECONDS): \"nan\" is not a number"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write(base + "after_success: shred\n"), environment: [:]) }
      .contains("\"shred\" is not one of archive, delete"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write(base + "outputs: [overlay, heatmap]\n"), environment: [:]) }
      .contains("heatmap is not an output"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write("inbox: /i\noutbox: /o\n"), environment: [:]) }
      .contains("state is required"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write(base + "batch_size: [1, 2]\n"), environment: [:]) }
      .contains("batch_size takes one value, not a list"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write("inbox: [unclosed\n"), environment: [:]) }
      .contains("is not valid YAML"))
    #expect(failure { try DaemonConfiguration.resolve(file: directory.path("missing.conf"), environment: [:]) }
      .contains("cannot read the configuration"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write(base + "acceptance:\n  views: []\n"), environment: [:]) }
      .contains("acceptance.views"))
  }

  @Test("no folder the daemon writes may lie inside the inbox, and no two folders may be the same")
  func folders() throws {
    #expect(failure { try DaemonConfiguration.resolve(file: try write("inbox: /i\noutbox: /i/out\nstate: /s\n"), environment: [:]) }
      .contains("outbox (/i/out) and the inbox (/i) must not contain one another"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write("inbox: /s/in\noutbox: /o\nstate: /s\n"), environment: [:]) }
      .contains("state (/s) and the inbox (/s/in) must not contain one another"))
    #expect(failure { try DaemonConfiguration.resolve(file: try write("inbox: /i\noutbox: /o\nstate: /s\nquarantine: /o\n"), environment: [:]) }
      .contains("outbox and quarantine are the same folder"))
  }

  @Test("samples/isnetd.conf and systemd/isnetd.conf are valid and document every key")
  func shippedFiles() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    for file in ["samples/isnetd.conf", "systemd/isnetd.conf"] {
      let path = root + "/" + file
      let resolved = try DaemonConfiguration.resolve(file: path, environment: [:])
      let text = try String(contentsOfFile: path, encoding: .utf8)
      for key in DaemonConfiguration.keyNames {
        let leaf = key.split(separator: ".").last!
        #expect(text.contains("\(leaf):"), "\(file) does not document \(key)")
      }
      #expect(resolved.configuration.batchSize == 8)
    }
  }
}
