import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// DICOM network ingress as isnetd-storescp.service runs it: DCMTK's storescp with the unit's own ExecStart
/// (port and folders swapped for the test's), fed by DCMTK's storescu over loopback.
@Suite("DICOM ingress through storescp", .serialized)
struct StoreSCPIngressTests {
  static let handoff = repositoryRoot.appendingPathComponent("scripts/isnetd-ingress-handoff").path

  /// The unit's ExecStart with its port, staging folder, inbox and handoff script replaced; each must be found,
  /// so a unit that moves them makes this fail instead of silently testing something else.
  static func receiverCommand(port: Int, staging: String, inbox: String) throws -> [String] {
    var words = try UnitFile("isnetd-storescp.service").execStart()
    let replacements = [
      "/srv/isnetd/incoming": staging,
      "/srv/isnetd/inbox": inbox,
      "/usr/local/lib/isnetd/isnetd-ingress-handoff": handoff,
    ]
    var found = Set<String>()
    words = words.map { word in
      replacements.reduce(word) { word, replacement in
        guard word.contains(replacement.key) else { return word }
        found.insert(replacement.key)
        return word.replacingOccurrences(of: replacement.key, with: replacement.value)
      }
    }
    try #require(found == Set(replacements.keys), "ExecStart lacks \(Set(replacements.keys).subtracting(found))")
    try #require(words.first == "/usr/bin/storescp" && words.last == "11112", "\(words)")
    words[words.count - 1] = String(port)
    return words
  }

  /// storescu's option that proposes a file's transfer syntax (it proposes only uncompressed ones by default).
  static let proposal: [String: [String]] = [
    "1.2.840.10008.1.2": [], "1.2.840.10008.1.2.1": [], "1.2.840.10008.1.2.2": [],
    "1.2.840.10008.1.2.4.50": ["--propose-jpeg8"], "1.2.840.10008.1.2.4.51": ["--propose-jpeg12"],
    "1.2.840.10008.1.2.4.70": ["--propose-lossless"],
    "1.2.840.10008.1.2.4.80": ["--propose-jls-lossless"], "1.2.840.10008.1.2.4.81": ["--propose-jls-lossy"],
    "1.2.840.10008.1.2.4.90": ["--propose-j2k-lossless"], "1.2.840.10008.1.2.4.91": ["--propose-j2k-lossy"],
    "1.2.840.10008.1.2.5": ["--propose-rle"],
  ]

  @Test("every sample arrives in the inbox complete and only by rename, a repeated one under a second name; staging ends empty")
  func endToEnd() throws {
    let folders = try TemporaryDirectory(prefix: "isnetd-ingress")
    let staging = folders.path("incoming")
    let inbox = folders.path("inbox")
    for folder in [staging, inbox] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) }
    let inboxEvents = try InotifyRecorder(watching: inbox)

    let port = try Self.freePort()
    let command = try Self.receiverCommand(port: port, staging: staging, inbox: inbox)
    let receiver = try BackgroundProcess(command[0], Array(command.dropFirst()), logPath: folders.path("storescp.log"))
    defer { receiver.stop() }
    try Self.waitUntilListening(port: port, receiver: receiver)

    let samples = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("samples").path)
      .filter { $0.hasSuffix(".dcm") }.sorted()
      .map { repositoryRoot.appendingPathComponent("samples/\($0)").path }
    #expect(samples.count >= 8)
    // storescu refuses a file that ends inside an element before it opens an association: nothing to expect.
    let truncated = samples.filter { $0.hasSuffix("/broken-truncated.dcm") }
    #expect(truncated.count == 1)
    for file in truncated {
      #expect(throws: Command.Failure.self) { try Self.send([file], port: port, proposing: []) }
    }
    let sendable = samples.filter { !truncated.contains($0) }
    var byProposal: [[String]: [String]] = [:]
    for file in sendable {
      let syntax = try FileMetaHeader(path: file).transferSyntax
      let option = try #require(Self.proposal[syntax], "no storescu proposal for \(syntax) (\(file))")
      byProposal[option, default: []].append(file)
    }
    for (option, files) in byProposal.sorted(by: { $0.key.joined() < $1.key.joined() }) {
      try Self.send(files, port: port, proposing: option)
    }
    // The same object again, in a new association: same SOP Instance UID, must not replace the first.
    let repeated = try #require(sendable.first { $0.hasSuffix("/covid-19-pa.dcm") })
    try Self.send([repeated], port: port, proposing: [])
    let expected = sendable + [repeated]

    let arrived = try Self.waitForEntries(in: inbox, count: expected.count)
    #expect(arrived.count == expected.count, "inbox: \(arrived)\nstorescp log: \(receiver.log)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty, "left in staging")
    #expect(receiver.isRunning, "storescp exited: \(receiver.log)")

    // Complete: the data set after the file meta header is byte for byte the one sent (--bit-preserving), so the
    // SOP Instance UID and the pixel data are the same; and dcmdump reads the UID back.
    let arrivedPaths = arrived.map { inbox + "/" + $0 }
    #expect(try Self.counts(arrivedPaths.map { try FileMetaHeader(path: $0).dataset })
            == Self.counts(expected.map { try FileMetaHeader(path: $0).dataset }))
    #expect(try Self.counts(arrivedPaths.map(Self.sopInstanceUID)) == Self.counts(expected.map(Self.sopInstanceUID)))
    let repeatedUID = try Self.sopInstanceUID(repeated)
    #expect(try arrivedPaths.filter { try Self.sopInstanceUID($0) == repeatedUID }.count == 2)

    // Never partial: every entry came into the inbox by one rename (IN_MOVED_TO), none was created or written
    // there in place (IN_CREATE, IN_MODIFY, IN_CLOSE_WRITE).
    let events = inboxEvents.events()
    #expect(!inboxEvents.overflowed)
    #expect(events.allSatisfy { $0.mask == UInt32(IN_MOVED_TO) }, "\(events)")
    #expect(events.map(\.name).sorted() == arrived)

    // `systemctl stop` sends SIGTERM: storescp ends on it (status: killed by signal 15, not by the SIGKILL
    // that follows a 10 s grace).
    #expect(receiver.stop() & 0x7f == SIGTERM)
  }

  @Test("the handoff refuses a name storescp --unique-filenames would not make, and leaves the file where it is", arguments: [
    "CR.1.2.3.dcm",  // a SOP Instance UID name (storescp's default): two copies of one object would collide
    ".DX.X1.2.dcm", "DX.X1.2.dcm.part", "DX X1.dcm", "DX.X1..dcm", "DX.X1;2.dcm",
  ])
  func refusedNames(name: String) throws {
    let folders = try TemporaryDirectory(prefix: "isnetd-handoff")
    let staging = folders.path("incoming")
    let inbox = folders.path("inbox")
    for folder in [staging, inbox] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) }
    let staged = staging + "/" + name
    try Data("DICM".utf8).write(to: URL(fileURLWithPath: staged))
    let failure = try #require(throws: Command.Failure.self) { try Command.run(Self.handoff, [staged, inbox]) }
    #expect(failure.status == 65)
    #expect(FileManager.default.fileExists(atPath: staged))
    #expect(try FileManager.default.contentsOfDirectory(atPath: inbox).isEmpty)
  }

  @Test("across two mounts the handoff fails and keeps the file in staging instead of copying it into the inbox")
  func noCopyAcrossMounts() throws {
    guard (try? Command.run("unshare", ["--mount", "true"])) != nil else {
      print("skipping cross-mount handoff test: unshare --mount is not permitted here")
      return
    }
    let folders = try TemporaryDirectory(prefix: "isnetd-handoff")
    let staging = folders.path("incoming")
    let inbox = folders.path("inbox")
    for folder in [staging, inbox] { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) }
    let staged = staging + "/DX.X1.2.3.dcm"
    try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: staged))
    // Each folder bind-mounted onto itself in a private mount namespace: one file system, two mounts, as
    // ReadWritePaths=/srv/isnetd/incoming /srv/isnetd/inbox would make them (the unit names /srv/isnetd instead).
    let script = "mount --bind \"$1\" \"$1\" && mount --bind \"$2\" \"$2\" && exec \"$3\" \"$1/DX.X1.2.3.dcm\" \"$2\""
    let failure = try #require(throws: Command.Failure.self) {
      try Command.run("unshare", ["--mount", "--propagation", "private", "sh", "-c", script, "sh", staging, inbox, Self.handoff])
    }
    #expect(failure.status == 1)
    #expect(failure.output.contains("Invalid cross-device link"), "\(failure.output)")
    #expect(FileManager.default.fileExists(atPath: staged))
    #expect(try FileManager.default.contentsOfDirectory(atPath: inbox).isEmpty)
  }

  // MARK: - Helpers

  static func send(_ files: [String], port: Int, proposing option: [String]) throws {
    try Command.run("storescu", ["--call", "ISNETD"] + option + ["127.0.0.1", String(port)] + files)
  }

  /// A TCP port nobody listens on now (the kernel's pick for port 0).
  static func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
      }
    }
    guard bound else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    return Int(UInt16(bigEndian: address.sin_port))
  }

  /// Waits (at most 10 s) until storescp answers a C-ECHO addressed to AE title ISNETD.
  static func waitUntilListening(port: Int, receiver: BackgroundProcess) throws {
    for _ in 0..<100 {
      if (try? Command.run("echoscu", ["--call", "ISNETD", "127.0.0.1", String(port)])) != nil { return }
      try #require(receiver.isRunning, "storescp exited: \(receiver.log)")
      Thread.sleep(forTimeInterval: 0.1)
    }
    Issue.record("storescp does not answer C-ECHO on port \(port): \(receiver.log)")
  }

  /// The folder's entries once there are `count` of them (the last handoff may still run when storescu
  /// exits: storescp answers the C-STORE first), or after 30 s.
  static func waitForEntries(in folder: String, count: Int) throws -> [String] {
    var entries: [String] = []
    for _ in 0..<300 {
      entries = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
      if entries.count >= count { break }
      Thread.sleep(forTimeInterval: 0.1)
    }
    return entries
  }

  static func sopInstanceUID(_ path: String) throws -> String {
    let line = try Command.run("dcmdump", ["-q", "+P", "0008,0018", path])
    guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]"), open < close else {
      throw FileMetaHeader.Malformed(path: path, reason: "dcmdump printed no SOP Instance UID: \(line)")
    }
    return String(line[line.index(after: open)..<close])
  }

  static func counts<Value: Hashable>(_ values: [Value]) -> [Value: Int] {
    values.reduce(into: [:]) { $0[$1, default: 0] += 1 }
  }
}

/// The file meta information of a DICOM Part 10 file (always explicit VR little endian), read just far enough to
/// find the transfer syntax and where the data set starts.
struct FileMetaHeader {
  struct Malformed: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
  }

  let transferSyntax: String
  /// The bytes after the file meta information: the data set as sent.
  let dataset: Data

  init(path: String) throws {
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    guard bytes.count > 132, bytes[128..<132] == Data("DICM".utf8) else { throw Malformed(path: path, reason: "no DICM prefix") }
    func uint16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func uint32(_ at: Int) -> Int { uint16(at) | uint16(at + 2) << 16 }
    var offset = 132
    var syntax: String?
    while offset + 8 <= bytes.count, uint16(offset) == 0x0002 {
      let element = uint16(offset + 2)
      let vr = String(decoding: bytes[offset + 4..<offset + 6], as: UTF8.self)
      let longForm = ["OB", "OW", "OF", "SQ", "UT", "UN"].contains(vr)
      let length = longForm ? uint32(offset + 8) : uint16(offset + 6)
      let valueStart = offset + (longForm ? 12 : 8)
      guard valueStart + length <= bytes.count else { throw Malformed(path: path, reason: "meta element runs past the end") }
      if element == 0x0010 {
        syntax = String(decoding: bytes[valueStart..<valueStart + length], as: UTF8.self)
          .trimmingCharacters(in: CharacterSet(charactersIn: "\0 "))
      }
      offset = valueStart + length
    }
    guard let syntax else { throw Malformed(path: path, reason: "no Transfer Syntax UID") }
    transferSyntax = syntax
    dataset = Data(bytes[offset...])
  }
}
