import Foundation
import Glibc
import Registry
import Screening
import Testing
import TestSupport

/// Figures with `correct` of `predicted` right, the commonest label at `chance`.
func figures(correct: Int = 90, of predicted: Int = 100, chance: Double = 0.5, macroF1: Double = 0.9,
             share: Double? = 0.2) -> ValidationFigures {
  ValidationFigures(images: predicted, predicted: predicted, correct: correct, chanceAccuracy: chance, macroF1: macroF1,
                    assessed: share == nil ? 0 : predicted, backgroundShare: share)
}

@Suite("promotion gate")
struct PromotionGateTests {
  @Test("the chance probability is the binomial tail at the commonest label's share (values from Python's math.comb)")
  func chanceProbability() {
    #expect(abs(figures(correct: 27, of: 34, chance: 21.0 / 34).chanceProbability - 0.022790124983149706) < 1e-12)
    #expect(abs(figures(correct: 38, of: 73, chance: 46.0 / 73).chanceProbability - 0.9790931643900218) < 1e-12)
    #expect(abs(figures(correct: 60, of: 100, chance: 0.5).chanceProbability - 0.028443966820490392) < 1e-12)
    #expect(figures(correct: 0, of: 0).chanceProbability == 1)
  }

  @Test("a candidate passes only when better than chance, above the floor, within the F1 margin and no worse on background share")
  func decisions() {
    let gate = PromotionGate(minimumMacroF1: 0.5, maximumMacroF1Drop: 0.02, maximumBackgroundShareIncrease: 0)
    let current = figures(macroF1: 0.80, share: 0.30)
    #expect(gate.decide(candidate: figures(macroF1: 0.79, share: 0.30), current: current).accepted)
    #expect(gate.decide(candidate: figures(macroF1: 0.85, share: 0.10), current: current).accepted)
    #expect(gate.decide(candidate: figures(macroF1: 0.85, share: 0.9), current: nil).accepted, "not comparable: floors only")

    let cases: [(ValidationFigures, ValidationFigures?, String)] = [
      (figures(macroF1: 0.77, share: 0.30), current, "worse than the current model's 0.8000 by more than 0.0200"),
      (figures(macroF1: 0.80, share: 0.3001), current, "background share 0.3001 is worse than the current model's 0.3000"),
      (figures(correct: 55, of: 100, macroF1: 0.80), current, "not better than guessing the commonest label"),
      (figures(macroF1: 0.45), nil, "below the floor 0.5000"),
      (figures(macroF1: 0.80, share: nil), current, "background share cannot be compared"),
      (figures(correct: 0, of: 0, macroF1: 0), nil, "predicted none"),
    ]
    for (candidate, current, reason) in cases {
      let decision = gate.decide(candidate: candidate, current: current)
      #expect(!decision.accepted)
      #expect(decision.reasons.contains { $0.contains(reason) }, "\(decision.reasons) lacks \(reason)")
      #expect(decision.gate == gate)
    }
  }
}

@Suite("model registry")
struct ModelRegistryTests {
  /// A registry in a fresh state folder with copies of the shipped default bundle registered as `versions`.
  static func registry(_ versions: [String]) throws -> (TemporaryDirectory, ModelRegistry) {
    let state = try TemporaryDirectory(prefix: "isnetd-registry")
    let registry = ModelRegistry(state: state.url.path)
    let shipped = try #require(ModelBundle.locateDefault())
    for version in versions {
      let staging = try registry.makeStagingFolder()
      try FileManager.default.copyItem(atPath: shipped, toPath: staging + "/bundle")
      let candidate = figures()
      try registry.register(bundle: staging + "/bundle", Registration(
        version: version, createdAt: Date(), isnetdVersion: "test", trigger: "manual", variant: "selective",
        data: TrainingDataRecord(root: "/data", classes: ["a", "b"], splitRule: "isnetd-split-v1", validationFraction: 0.2,
                                 trainingImages: 80, validationImages: 20, pseudoMasks: 0, rejectedPseudoMasks: 0, unusableFiles: 0,
                                 newImages: 100),
        trainingSeconds: 1, candidate: candidate, comparedWith: Comparison(version: "shipped", source: shipped, figures: nil),
        test: nil, decision: PromotionGate().decide(candidate: candidate, current: nil)))
      try FileManager.default.removeItem(atPath: staging)
    }
    return (state, registry)
  }

  @Test("promote and rollback move one pointer: each promotion remembers the previous model, rollback returns to it, then to the configured model")
  func promoteAndRollback() throws {
    let (state, registry) = try Self.registry(["v1", "v2"])
    defer { withExtendedLifetime(state) {} }
    #expect(try registry.pointer() == nil)
    #expect(throws: RegistryError.self) { try registry.rollback() }
    try registry.promote("v1", reason: "test")
    #expect(try registry.pointer()?.version == "v1")
    #expect(throws: RegistryError.self) { try registry.promote("v1", reason: "again") }
    try registry.promote("v2", reason: "test")
    #expect(try registry.pointer()?.previous == ["v1"])
    #expect(try registry.currentBundlePath() == state.url.path + "/models/v2.isnetd-model")
    #expect(try registry.rollback().version == "v1")
    #expect(try registry.pointer()?.previous == [])
    let last = try registry.rollback()
    #expect(last.version == nil && last.reason == "rollback from v1")
    #expect(try registry.currentBundlePath() == nil)
    #expect(throws: RegistryError.self) { try registry.promote("v3", reason: "unknown") }
    #expect(registry.list().map(\.version) == ["v1", "v2"])
    #expect(registry.list().allSatisfy { $0.registration?.decision.accepted == true })
  }

  @Test("a bundle that does not load is never made current, and the pointer stays as it was")
  func damagedBundle() throws {
    let (state, registry) = try Self.registry(["v1", "v2"])
    defer { withExtendedLifetime(state) {} }
    try registry.promote("v1", reason: "test")
    let before = try Data(contentsOf: URL(fileURLWithPath: registry.pointerPath))
    try FileManager.default.removeItem(atPath: registry.bundlePath(of: "v2") + "/classifier.safetensors")
    #expect(throws: (any Error).self) { try registry.promote("v2", reason: "test") }
    #expect(try Data(contentsOf: URL(fileURLWithPath: registry.pointerPath)) == before)
  }

  @Test("a hostile current.json or registration is refused, never followed out of the registry")
  func hostileRecords() throws {
    let (state, registry) = try Self.registry(["v1"])
    defer { withExtendedLifetime(state) {} }
    for text in ["not json", #"{"format":"isnetd-current-model","formatVersion":1,"version":"../../etc","switchedAt":"2026-12-04T00:00:00Z","reason":"x","previous":[]}"#,
                 #"{"format":"isnetd-current-model","formatVersion":9,"version":"v1","switchedAt":"2026-12-04T00:00:00Z","reason":"x","previous":[]}"#] {
      try Data(text.utf8).write(to: URL(fileURLWithPath: registry.pointerPath))
      #expect(throws: RegistryError.self) { try registry.currentBundlePath() }
    }
    #expect(throws: RegistryError.self) { try registry.registration(of: "../v1") }
    try Data("{}".utf8).write(to: URL(fileURLWithPath: registry.bundlePath(of: "v1") + "/registration.json"))
    #expect(registry.list().first?.problem != nil)
  }

  @Test("the retrain lock is exclusive and names its holder; it is free again once released")
  func lock() throws {
    let (state, registry) = try Self.registry([])
    defer { withExtendedLifetime(state) {} }
    try registry.prepare()
    let path = registry.root + "/retrain.lock"
    var first: RegistryLock? = try RegistryLock(path: path, holder: "the first retrain", wait: false)
    let refusal = try #require(throws: RegistryError.self) { try RegistryLock(path: path, holder: "the second", wait: false) }
    #expect(refusal.description.contains("process \(getpid()), the first retrain, since"), "\(refusal)")
    withExtendedLifetime(first) {}
    first = nil
    _ = try RegistryLock(path: path, holder: "the second", wait: false)
  }

  @Test("staging folders of dead processes are removed; a live process's and other files are kept")
  func abandonedStaging() throws {
    let (state, registry) = try Self.registry(["v1"])
    defer { withExtendedLifetime(state) {} }
    let finished = Process()
    finished.executableURL = URL(fileURLWithPath: "/bin/true")
    try finished.run()
    finished.waitUntilExit()
    let dead = registry.root + "/.staging-\(finished.processIdentifier)-abc"
    let alive = try registry.makeStagingFolder()
    try FileManager.default.createDirectory(atPath: dead + "/bundle", withIntermediateDirectories: true)
    #expect(registry.removeAbandonedStaging() == [".staging-\(finished.processIdentifier)-abc"])
    #expect(!FileManager.default.fileExists(atPath: dead))
    #expect(FileManager.default.fileExists(atPath: alive))
    #expect(FileManager.default.fileExists(atPath: registry.bundlePath(of: "v1")))
  }
}
