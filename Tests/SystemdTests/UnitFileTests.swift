import Foundation
import Testing
import TestSupport

/// scripts/install.sh into a scratch root, run the way systemd/README.md tells an operator, then the installed
/// units checked by systemd's own tools. PID 1 is not systemd here: everything runs offline.
@Suite("systemd units and install script")
struct UnitFileTests {
  static let units = ["isnetd.service", "isnetd-storescp.service", "isnetd-retrain.service"]
  /// The units `install.sh --enable` enables, with the target that wants each.
  static let enabled = [("isnetd.service", "multi-user.target"), ("isnetd-storescp.service", "multi-user.target"),
                        ("isnetd-retrain.timer", "timers.target")]

  /// The commands of systemd/README.md's ```sh blocks.
  static func documentedCommands() throws -> [String] {
    let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("systemd/README.md"), encoding: .utf8)
    var commands: [String] = []
    var inBlock = false
    for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("```") {
        inBlock = line == "```sh"
        continue
      }
      if inBlock, !line.trimmingCharacters(in: .whitespaces).isEmpty { commands.append(String(line)) }
    }
    return commands
  }

  /// Runs every documented command into a fresh scratch root, with `--root` and `--binary` (the debug build of
  /// isnetd beside this test binary) appended: install.sh takes the last value of an option.
  static func installDocumented() throws -> (root: TemporaryDirectory, commands: [String]) {
    let root = try TemporaryDirectory(prefix: "isnetd-root")
    let commands = try documentedCommands()
    for command in commands {
      let words = command.split(separator: " ").map(String.init)
      try #require(words.first == "scripts/install.sh", "systemd/README.md runs only scripts/install.sh: \(command)")
      try Command.run(repositoryRoot.appendingPathComponent(words[0]).path,
                      Array(words.dropFirst()) + ["--root", root.url.path, "--binary", BuildProducts.executable("isnetd")])
    }
    return (root, commands)
  }

  @Test("the README's install commands put binary, handoff, model, units, sysusers and tmpfiles where the units expect them")
  func installLayout() throws {
    let (root, commands) = try Self.installDocumented()
    #expect(!commands.isEmpty)
    let modes: [(path: String, mode: Int)] = [
      ("/usr/local/bin/isnetd", 0o755),
      ("/usr/local/lib/isnetd/isnetd-ingress-handoff", 0o755),
      ("/usr/local/lib/systemd/system/isnetd.service", 0o644),
      ("/usr/local/lib/systemd/system/isnetd-storescp.service", 0o644),
      ("/usr/local/lib/systemd/system/isnetd-retrain.service", 0o644),
      ("/usr/local/lib/systemd/system/isnetd-retrain.timer", 0o644),
      ("/usr/lib/sysusers.d/isnetd.conf", 0o644),
      ("/usr/lib/tmpfiles.d/isnetd.conf", 0o644),
      ("/usr/local/share/isnetd/models/default.isnetd-model/bundle.json", 0o644),
      ("/usr/local/share/doc/isnetd/systemd.md", 0o644),
    ]
    for (path, mode) in modes {
      let attributes = try FileManager.default.attributesOfItem(atPath: root.url.path + path)
      #expect((attributes[.posixPermissions] as? Int) == mode, "\(path)")
    }
    // Every executable a unit names, inside ExecStart's arguments too, exists in the installed tree.
    for unit in Self.units {
      let command = try UnitFile(unit).execStart()
      for path in command.flatMap({ $0.split(separator: " ") }).map(String.init) where path.hasPrefix("/usr/local/") {
        #expect(FileManager.default.isExecutableFile(atPath: root.url.path + path), "\(unit) runs \(path)")
      }
    }
    // The configuration goes to /etc/isnetd/isnetd.conf when the repository ships one.
    let shippedConfig = repositoryRoot.appendingPathComponent("systemd/isnetd.conf").path
    let installedConfig = root.url.path + "/etc/isnetd/isnetd.conf"
    if FileManager.default.fileExists(atPath: shippedConfig) {
      #expect(FileManager.default.contents(atPath: installedConfig) == FileManager.default.contents(atPath: shippedConfig))
    } else {
      #expect(!FileManager.default.fileExists(atPath: installedConfig))
    }
    // --enable: the services wanted by multi-user.target, the retrain timer by timers.target.
    for (unit, target) in Self.enabled {
      let link = root.url.path + "/etc/systemd/system/\(target).wants/\(unit)"
      #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "/usr/local/lib/systemd/system/\(unit)")
    }
  }

  @Test("sysusers creates isnetd and isnetd-storescp in group isnetd; tmpfiles makes the /srv/isnetd folders setgid isnetd")
  func usersAndFolders() throws {
    let (root, _) = try Self.installDocumented()
    let passwd = try Self.database(root.url.path + "/etc/passwd")
    let group = try Self.database(root.url.path + "/etc/group")
    let isnetd = try #require(passwd["isnetd"])
    let receiver = try #require(passwd["isnetd-storescp"])
    let gid = try #require(group["isnetd"]?[1])
    #expect(isnetd[2] == gid && receiver[2] == gid)
    #expect(isnetd[5] == "/usr/sbin/nologin" && receiver[5] == "/usr/sbin/nologin")

    let folders: [(path: String, owner: String, mode: Int)] = [
      ("/srv/isnetd", "0", 0o750),
      ("/srv/isnetd/inbox", isnetd[1], 0o2770),
      ("/srv/isnetd/incoming", receiver[1], 0o2750),
      ("/srv/isnetd/outbox", isnetd[1], 0o2750),
    ]
    for folder in folders {
      var status = stat()
      try #require(stat(root.url.path + folder.path, &status) == 0, "\(folder.path)")
      #expect(String(status.st_uid) == folder.owner, "\(folder.path)")
      #expect(String(status.st_gid) == gid, "\(folder.path)")
      #expect(Int(status.st_mode) & 0o7777 == folder.mode, "\(folder.path)")
    }
    // Staging and inbox on one file system: the handoff is a rename.
    var incoming = stat(), inbox = stat()
    #expect(stat(root.url.path + "/srv/isnetd/incoming", &incoming) == 0 && stat(root.url.path + "/srv/isnetd/inbox", &inbox) == 0)
    #expect(incoming.st_dev == inbox.st_dev)
  }

  @Test("systemd-analyze verify accepts every installed unit and the retrain timer without a word")
  func verify() throws {
    let (root, _) = try Self.installDocumented()
    // verify checks that ExecStart's program exists, on this machine's paths (its --root would also need
    // systemd's own units and /bin/kill inside the root): the installed units' /usr/local paths are pointed at
    // the scratch root, in copies with the same names.
    let copies = try TemporaryDirectory(prefix: "isnetd-units")
    var paths: [String] = []
    for unit in Self.units + ["isnetd-retrain.timer"] {
      let installed = try String(contentsOfFile: root.url.path + "/usr/local/lib/systemd/system/\(unit)", encoding: .utf8)
      let shipped = try UnitFile(unit).text
      #expect(installed == shipped)
      let path = copies.path(unit)
      try installed.replacingOccurrences(of: "/usr/local/", with: root.url.path + "/usr/local/")
        .write(toFile: path, atomically: true, encoding: .utf8)
      paths.append(path)
    }
    let output = try Self.analyze(["verify", "--man=no"] + paths)
    #expect(output.isEmpty, "\(output)")
  }

  @Test("a unit whose program is missing fails verify: the check above can fail")
  func verifyCatchesMissingProgram() throws {
    let copies = try TemporaryDirectory(prefix: "isnetd-units")
    let path = copies.path("isnetd.service")
    try UnitFile("isnetd.service").text
      .replacingOccurrences(of: "/usr/local/bin/isnetd", with: copies.path("missing/isnetd"))
      .write(toFile: path, atomically: true, encoding: .utf8)
    let failure = try #require(throws: Command.Failure.self) { try Self.analyze(["verify", "--man=no", path]) }
    #expect(failure.output.contains("is not executable"))
  }

  @Test("systemd-analyze security --offline rates isnetd.service at most 2.0, with no network and no capabilities")
  func daemonExposure() throws {
    let report = try Self.security("isnetd.service")
    #expect(report.exposure <= 2.0, "exposure \(report.exposure)")
    for setting in ["PrivateNetwork=", "RestrictAddressFamilies=~AF_(INET|INET6)", "IPAddressDeny=",
                    "CapabilityBoundingSet=~CAP_SYS_ADMIN", "User=/DynamicUser=", "ProtectSystem=", "NoNewPrivileges="] {
      #expect(report.passed.contains(setting), "\(setting) not in force")
    }
  }

  @Test("isnetd-storescp.service is hardened too: exposure at most 2.0, no capabilities, no W+X memory")
  func receiverExposure() throws {
    let report = try Self.security("isnetd-storescp.service")
    #expect(report.exposure <= 2.0, "exposure \(report.exposure)")
    for setting in ["CapabilityBoundingSet=~CAP_SYS_ADMIN", "MemoryDenyWriteExecute=", "User=/DynamicUser=", "ProtectSystem="] {
      #expect(report.passed.contains(setting), "\(setting) not in force")
    }
  }

  @Test("isnetd-retrain.service is hardened like the daemon, runs at the lowest CPU and I/O priority within a CPU quota, and treats a rejection as success")
  func retrainUnit() throws {
    let report = try Self.security("isnetd-retrain.service")
    #expect(report.exposure <= 2.0, "exposure \(report.exposure)")
    for setting in ["PrivateNetwork=", "CapabilityBoundingSet=~CAP_SYS_ADMIN", "User=/DynamicUser=", "ProtectSystem=", "NoNewPrivileges="] {
      #expect(report.passed.contains(setting), "\(setting) not in force")
    }
    let unit = try UnitFile("isnetd-retrain.service")
    #expect(unit.values(of: "Type") == ["oneshot"])
    #expect(unit.values(of: "Nice") == ["19"])
    #expect(unit.values(of: "IOSchedulingClass") == ["idle"])
    #expect(unit.values(of: "CPUQuota").count == 1)
    #expect(unit.values(of: "SuccessExitStatus") == ["3"])
    #expect(try unit.execStart().prefix(3) == ["/usr/local/bin/isnetd", "retrain", "--scheduled"])
    let timer = try UnitFile("isnetd-retrain.timer")
    #expect(timer.values(of: "Persistent") == ["true"])
    #expect(timer.values(of: "OnCalendar").count == 1)
    // The shipped calendar, and the one of docs/retraining.md's drop-in example, are calendars systemd accepts.
    let retraining = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/retraining.md"), encoding: .utf8)
    let example = retraining.split(separator: "\n").filter { $0.hasPrefix("OnCalendar=") && $0.count > "OnCalendar=".count }
      .map { String($0.dropFirst("OnCalendar=".count)) }
    #expect(example.count == 1)
    for value in timer.values(of: "OnCalendar") + example {
      let calendar = try Self.analyze(["calendar", value])
      #expect(calendar.contains("Next elapse:"), "\(calendar)")
    }
  }

  @Test("the README states the measured exposures and shows the receiver's ExecStart as the unit has it")
  func readmeMatchesUnits() throws {
    let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("systemd/README.md"), encoding: .utf8)
    for unit in Self.units {
      let exposure = try Self.security(unit).exposure
      #expect(readme.contains("`\(unit)` at \(String(format: "%.1f", exposure))"), "README's exposure for \(unit)")
    }
    // The plain ``` block right after "It runs": the command with its line breaks folded.
    let afterRuns = try #require(readme.components(separatedBy: "It runs\n\n```\n").dropFirst().first)
    let shown = try #require(afterRuns.components(separatedBy: "\n```").first)
      .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    let unitLine = try #require(UnitFile("isnetd-storescp.service").values(of: "ExecStart").first)
    #expect(shown == unitLine.split(whereSeparator: \.isWhitespace).joined(separator: " "))
  }

  /// Overall exposure and the settings marked ✓ in `systemd-analyze security --offline=true`'s table.
  static func security(_ unit: String) throws -> (exposure: Double, passed: Set<String>) {
    let output = try analyze(["security", "--offline=true", try UnitFile(unit).path])
    let marker = "Overall exposure level for \(unit): "
    let line = try #require(output.split(separator: "\n").first { $0.contains(marker) }, "\(output)")
    let number = line.components(separatedBy: marker)[1].split(separator: " ").first.map(String.init) ?? ""
    let exposure = try #require(Double(number), "\(line)")
    let passed = output.split(separator: "\n").compactMap { row -> String? in
      guard row.hasPrefix("✓ ") else { return nil }
      return row.dropFirst(2).split(separator: " ").first.map(String.init)
    }
    return (exposure, Set(passed))
  }

  /// systemd-analyze with stdout and stderr together (verify reports on stderr), without colours.
  static func analyze(_ arguments: [String]) throws -> String {
    try Command.run("sh", ["-c", "exec systemd-analyze \"$@\" 2>&1", "systemd-analyze"] + arguments,
                    environment: ["SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""])
  }

  /// /etc/passwd or /etc/group as name → fields.
  static func database(_ path: String) throws -> [String: [String]] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    return Dictionary(lines.map { line in
      let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
      return (fields[0], Array(fields.dropFirst()))
    }, uniquingKeysWith: { first, _ in first })
  }
}
