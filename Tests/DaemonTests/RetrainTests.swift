import Daemon
import Foundation
import Glibc
import Phantoms
import Registry
import Screening
import Testing
import TestSupport

/// A site's labelled data for retraining tests: marker-biased synthetic phantoms (two classes, obvious
/// findings) written by `isnetd synth`, and a copy with every label drawn at random.
struct SiteData {
  let root: String
  let shuffled: String

  init(in directory: TemporaryDirectory, images: Int = 360) throws {
    let synthesized = directory.path("synth")
    try Command.run(isnetdExecutable, ["synth", "--out", synthesized, "--counts", "train=\(images)", "--classes", "normal,pneumonia",
                                       "--size", "96", "--difficulty", "0", "--seed", "5"])
    root = synthesized + "/train"
    shuffled = directory.path("shuffled")
    var generator = SplitMix64(seed: 1)  // the same shuffled labels in every run
    let classes = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
    for name in classes { try FileManager.default.createDirectory(atPath: "\(shuffled)/\(name)", withIntermediateDirectories: true) }
    for name in classes {
      for file in try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(name)").sorted() where file.hasSuffix(".dcm") {
        let target = classes[Int(generator.next() % UInt64(classes.count))]
        let stem = String(file.dropLast(4))
        try FileManager.default.copyItem(atPath: "\(root)/\(name)/\(file)", toPath: "\(shuffled)/\(target)/\(file)")
        try FileManager.default.copyItem(atPath: "\(root)/\(name)/\(stem).mask.png", toPath: "\(shuffled)/\(target)/\(stem).mask.png")
      }
    }
  }
}

/// `isnetd retrain` in a child process with a recipe small enough for a test (64 x 64 input, ten short
/// epochs on a few hundred images), its output in a file.
func startRetrain(_ folders: DaemonFolders, data: String, extra: [String] = []) throws -> BackgroundProcess {
  var environment = ProcessInfo.processInfo.environment
  environment["OPENBLAS_NUM_THREADS"] = "1"
  for name in ["NOTIFY_SOCKET", "JOURNAL_STREAM"] { environment[name] = nil }
  return try BackgroundProcess(
    isnetdExecutable,
    ["retrain", "--config", folders.configPath, "--data", data, "--log", "stderr", "--size", "64", "--epochs", "10",
     "--batch-size", "8", "--tune-cut-epochs", "2", "--heatmap-warmup-epochs", "2", "--heatmap-weight", "0.3"] + extra,
    logPath: folders.directory.path("retrain-\(UUID().uuidString.prefix(8)).log"), environment: environment)
}

/// The exit status of a wait status, or nil when the process did not exit normally.
func exitStatus(_ waitStatus: Int32?) -> Int32? {
  guard let waitStatus, waitStatus & 0x7f == 0 else { return nil }
  return (waitStatus >> 8) & 0xff
}

@Suite("isnetd retrain: the gate, the registry and the running daemon", .serialized)
struct RetrainTests {
  static let retrainSettings = ["retrain.calibration_minimum_images": "10", "retrain.threads": "2"]

  @Test("a retrain on biased data passes the gate and the running daemon switches to it between batches, every input reported once; a retrain on shuffled labels is rejected and the daemon keeps serving")
  func promotionAndHotSwitch() throws {
    let folders = try DaemonFolders(Self.retrainSettings)
    let site = try SiteData(in: folders.directory)
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    let daemon = try DaemonProcess(folders)
    var dropped = 0
    func dropFiles(_ count: Int) throws {
      for _ in 0..<count {
        try drop(fixtures.valid(dropped), named: "image-\(dropped).dcm", into: folders.inbox)
        dropped += 1
      }
    }
    try dropFiles(10)
    #expect(eventually(timeout: 120) { folders.reports().count == 10 }, "\(daemon.log.suffix(2000))")
    let shipped = try #require(folders.report(folders.reports()[0])["model"] as? [String: Any])["version"] as? String

    // Files keep arriving while the retrain runs: none may be lost or reported twice at the switch.
    let retrain = try startRetrain(folders, data: site.root)
    // A second retrain while the first holds the lock stops at once, naming the holder.
    #expect(eventually(timeout: 120) { retrain.log.contains("retrain started") }, "\(retrain.log)")
    let second = try #require(throws: Command.Failure.self) {
      try Command.run(isnetdExecutable, ["retrain", "--config", folders.configPath, "--data", site.root, "--log", "stderr"])
    }
    #expect(second.status == 1)
    #expect(second.output.contains("retrain_already_running") && second.output.contains("process \(retrain.processIdentifier), isnetd retrain (manual)"),
            "\(second.output)")
    while retrain.isRunning {
      try dropFiles(2)
      sleep(3)
    }
    #expect(exitStatus(retrain.waitForExit(timeout: 1)) == 0, "\(retrain.log.suffix(3000))")
    let registry = ModelRegistry(state: folders.state)
    let promoted = try #require(try registry.pointer()?.version, "\(retrain.log.suffix(3000))")
    #expect(retrain.log.contains("promoted \(promoted)"))
    #expect(try registry.registration(of: promoted).decision.accepted)
    #expect(eventually(timeout: 60) { daemon.log.contains("model switched from \(shipped ?? "") to \(promoted)") }, "\(daemon.log.suffix(2000))")

    try dropFiles(6)
    #expect(eventually(timeout: 180) { folders.reports().count == dropped }, "\(daemon.log.suffix(2000))")
    let afterSwitch = try (dropped - 6..<dropped).map { index in
      try folders.ledgerEntries().first { URL(fileURLWithPath: $0.originalPath).lastPathComponent == "image-\(index).dcm" }?.modelVersion
    }
    #expect(afterSwitch.allSatisfy { $0 == promoted }, "\(afterSwitch)")

    // Shuffled labels: the candidate is registered as rejected, the pointer and the daemon stay.
    let shuffledRetrain = try startRetrain(folders, data: site.shuffled)
    #expect(exitStatus(shuffledRetrain.waitForExit(timeout: 900)) == 3, "\(shuffledRetrain.log.suffix(3000))")
    #expect(shuffledRetrain.log.contains("rejected"))
    #expect(try registry.pointer()?.version == promoted)
    let rejected = try #require(registry.list().compactMap(\.registration).first { !$0.decision.accepted })
    #expect(rejected.decision.reasons.contains { $0.contains("not better than guessing") }, "\(rejected.decision.reasons)")
    try dropFiles(4)
    #expect(eventually(timeout: 120) { folders.reports().count == dropped }, "\(daemon.log.suffix(2000))")
    #expect(daemon.stop() == 0, "\(daemon.log.suffix(2000))")

    // Every input exactly once: one ledger entry and one report each, all reported.
    let entries = try folders.ledgerEntries()
    #expect(entries.count == dropped)
    #expect(entries.allSatisfy { $0.state == .reported }, "\(entries.map(\.state.rawValue))")
    #expect(Set(entries.compactMap(\.outputStem)).count == dropped)
    #expect(folders.reports().count == dropped)
    let versions = try folders.ledgerEntries().sorted { $0.id! < $1.id! }.suffix(4).map(\.modelVersion)
    #expect(versions.allSatisfy { $0 == promoted })
    #expect(daemon.log.components(separatedBy: "model switched").count == 2, "one switch only")
  }

  @Test("kill -9 of a retrain at moments spread over its run leaves the registry consistent and the current model untouched; the next retrain cleans up and completes")
  func killedRetrains() throws {
    let folders = try DaemonFolders(Self.retrainSettings)
    let site = try SiteData(in: folders.directory, images: 160)
    let registry = ModelRegistry(state: folders.state)
    let current = try registerShippedDefault(in: registry)
    let pointer = try Data(contentsOf: URL(fileURLWithPath: registry.pointerPath))
    let small = ["--size", "48", "--epochs", "4"]

    func checkConsistent(_ moment: String) throws {
      #expect(try Data(contentsOf: URL(fileURLWithPath: registry.pointerPath)) == pointer, "\(moment): current.json changed")
      #expect(try registry.pointer()?.version == current)
      for listing in registry.list() {
        let registration = try #require(listing.registration, "\(moment): \(listing.version): \(listing.problem ?? "")")
        // A registered candidate is a whole bundle, unless it was rejected because it could not be calibrated.
        if registration.decision.reasons.first?.hasPrefix("the shortcut checks could not be calibrated") != true {
          _ = try ModelBundle(path: registry.bundlePath(of: listing.version))
        }
      }
      let listed = try Command.run(isnetdExecutable, ["models", "list", "--state", folders.state, "--json"])
      #expect(listed.contains("\"current\" : true"), "\(moment): \(listed)")
      // The lock died with the process.
      _ = try RegistryLock(path: registry.root + "/retrain.lock", holder: "the test", wait: false)
    }

    // How long a whole retrain takes here, in a state of its own, so the kills spread over its run.
    let timing = try DaemonFolders(Self.retrainSettings)
    try FileManager.default.createDirectory(atPath: timing.state, withIntermediateDirectories: true)
    let started = Date()
    let timed = try startRetrain(timing, data: site.root, extra: small)
    #expect([0, 3].contains(exitStatus(timed.waitForExit(timeout: 600))), "\(timed.log.suffix(3000))")
    let duration = Date().timeIntervalSince(started)

    var generator = SystemRandomNumberGenerator()
    var killedMidRun = 0
    for window in [(0.02, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 1.0)] {
      let retrain = try startRetrain(folders, data: site.root, extra: small)
      let moment = Double.random(in: window.0..<window.1, using: &generator) * duration
      usleep(UInt32(moment * 1_000_000))
      retrain.send(SIGKILL)
      let status = retrain.waitForExit(timeout: 30)
      if status.map({ $0 & 0x7f }) == SIGKILL { killedMidRun += 1 }
      try checkConsistent(String(format: "killed after %.1f of %.1f s (wait status %d)", moment, duration, status ?? -1))
    }
    #expect(killedMidRun >= 4, "most kills must land while the retrain runs")

    let finished = try startRetrain(folders, data: site.root, extra: small)
    let status = exitStatus(finished.waitForExit(timeout: 600))
    #expect(status == 0 || status == 3, "\(finished.log.suffix(3000))")
    let names = try FileManager.default.contentsOfDirectory(atPath: registry.root)
    #expect(!names.contains { $0.hasPrefix(".staging-") }, "\(names)")
    #expect(registry.list().allSatisfy { $0.registration != nil })
  }

  @Test("a current.json naming a bundle that does not load leaves the old model serving, and the daemon says why")
  func failedSwitch() throws {
    let folders = try DaemonFolders()
    let fixtures = try InstanceFixtures(folder: folders.directory.path(""))
    let registry = ModelRegistry(state: folders.state)
    let daemon = try DaemonProcess(folders)
    try drop(fixtures.valid(0), named: "before.dcm", into: folders.inbox)
    #expect(eventually(timeout: 120) { folders.reports().count == 1 }, "\(daemon.log.suffix(2000))")
    let serving = try #require(try folders.ledgerEntries().first?.modelVersion)

    // A registered bundle damaged after it was checked (as a failing disk would), named by current.json.
    let version = try registerShippedDefault(in: registry, promote: false)
    try FileManager.default.removeItem(atPath: registry.bundlePath(of: version) + "/classifier.safetensors")
    let pointer = CurrentPointer(version: version, switchedAt: Date(), reason: "written by the test", previous: [])
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    try encoder.encode(pointer).write(to: URL(fileURLWithPath: registry.pointerPath), options: .atomic)
    #expect(eventually(timeout: 60) { daemon.log.contains("the registry's current model could not be loaded, still serving \(serving)") },
            "\(daemon.log.suffix(2000))")

    try drop(fixtures.valid(1), named: "after.dcm", into: folders.inbox)
    #expect(eventually(timeout: 120) { folders.reports().count == 2 }, "\(daemon.log.suffix(2000))")
    #expect(daemon.stop() == 0)
    let versions = try folders.ledgerEntries().map(\.modelVersion)
    #expect(versions == [serving, serving], "\(versions)")
    #expect(!daemon.log.contains("model switched"))
  }

  /// Registers a copy of the shipped default bundle and (unless `promote` is false) makes it current,
  /// as a site's first promoted model would be; returns its version.
  func registerShippedDefault(in registry: ModelRegistry, promote: Bool = true) throws -> String {
    let shipped = try ModelBundle(path: try #require(ModelBundle.locateDefault()))
    let staging = try registry.makeStagingFolder()
    let copy = staging + "/bundle"
    try FileManager.default.copyItem(atPath: shipped.path, toPath: copy)
    let figures = ValidationFigures(images: 10, predicted: 10, correct: 9, chanceAccuracy: 0.4, macroF1: 0.9, assessed: 10, backgroundShare: 0.1)
    try registry.register(bundle: copy, Registration(
      version: shipped.manifest.version, createdAt: Date(), isnetdVersion: "test", trigger: "manual", variant: "selective",
      data: TrainingDataRecord(root: "/nowhere", classes: shipped.manifest.classes, splitRule: "isnetd-split-v1", validationFraction: 0.2,
                               trainingImages: 40, validationImages: 10, pseudoMasks: 0, rejectedPseudoMasks: 0, unusableFiles: 0, newImages: 50),
      trainingSeconds: 1, candidate: figures, comparedWith: Comparison(version: "none", source: "test", figures: nil), test: nil,
      decision: PromotionGate().decide(candidate: figures, current: nil)))
    try FileManager.default.removeItem(atPath: staging)
    if promote { try registry.promote(shipped.manifest.version, reason: "set up by the test") }
    return shipped.manifest.version
  }
}
