import Phantoms
import Testing

@Suite("Background bias does what the configuration says")
struct BiasTests {
  static func plan(strength: Double, otherwise: BiasConfiguration.Otherwise = .noMarker, perSplit: Int = 20_000,
                   kinds: [MarkerKind] = MarkerKind.allCases, seed: UInt64 = 5) -> DatasetPlan {
    DatasetPlan(DatasetConfiguration(
      seed: seed, counts: [.train: perSplit, .testUnbiased: 3000, .testConfounding: 3000], width: 64, height: 64,
      bias: BiasConfiguration(strength: strength, otherwise: otherwise, kinds: kinds)))
  }

  @Test("the measured marker-label agreement is within 2 % of the strength",
        arguments: [0.0, 0.33, 0.5, 0.9, 1.0], BiasConfiguration.Otherwise.allCases)
  func agreement(strength: Double, otherwise: BiasConfiguration.Otherwise) {
    let plan = Self.plan(strength: strength, otherwise: otherwise)
    let train = plan.samples(in: .train)
    let own = train.filter { $0.spec.marker?.style == $0.condition }.count
    #expect(abs(Double(own) / Double(train.count) - strength) < 0.02)
    #expect(abs(plan.ownMarkerFraction(in: .train) - strength) < 0.02)
    switch otherwise {
    case .noMarker:
      // Marked samples always carry their own class's marker; the rest carry none.
      #expect(train.allSatisfy { $0.spec.marker == nil || $0.spec.marker?.style == $0.condition })
    case .otherClassMarker:
      #expect(train.allSatisfy { $0.spec.marker != nil })
    }
  }

  @Test("test-unbiased has no markers; test-confounding always another class's, each other class about equally")
  func unbiasedAndConfounding() {
    let plan = Self.plan(strength: 1)
    #expect(plan.samples(in: .testUnbiased).allSatisfy { $0.spec.marker == nil })
    let confounding = plan.samples(in: .testConfounding)
    #expect(confounding.allSatisfy { $0.spec.marker != nil && $0.spec.marker?.style != $0.condition })
    for condition in PhantomClass.allCases {
      let styles = confounding.filter { $0.condition == condition }.compactMap { $0.spec.marker?.style }
      for other in PhantomClass.allCases where other != condition {
        let share = Double(styles.filter { $0 == other }.count) / Double(styles.count)
        #expect(abs(share - 0.5) < 0.05)
      }
    }
  }

  @Test("classes are balanced, kinds uniform over the configured ones, acquisitions independent of the class")
  func balanceAndIndependence() {
    let plan = Self.plan(strength: 0.9, kinds: [.text, .collimation])
    let train = plan.samples(in: .train)
    let counts = PhantomClass.allCases.map { c in train.filter { $0.condition == c }.count }
    #expect(counts.max()! - counts.min()! <= 1)
    let kinds = train.compactMap { $0.spec.marker?.kind }
    #expect(Set(kinds) == [.text, .collimation])
    #expect(abs(Double(kinds.filter { $0 == .text }.count) / Double(kinds.count) - 0.5) < 0.02)
    for condition in PhantomClass.allCases {
      let members = train.filter { $0.condition == condition }
      let monochrome1 = Double(members.filter { $0.spec.acquisition.photometric == .monochrome1 }.count) / Double(members.count)
      let compressed = Double(members.filter { $0.spec.acquisition.compression != .none }.count) / Double(members.count)
      #expect(abs(monochrome1 - 0.2) < 0.02)
      #expect(abs(compressed - 0.25) < 0.02)
    }
  }

  @Test("planning is deterministic and seeds differ per sample")
  func planDeterminism() {
    let a = Self.plan(strength: 0.7, perSplit: 500)
    let b = Self.plan(strength: 0.7, perSplit: 500)
    #expect(a.samples == b.samples)
    #expect(Set(a.samples.map(\.spec.seed)).count == a.samples.count)
    #expect(a.samples.allSatisfy { $0.spec.seed < 1 << 53 })
    let c = Self.plan(strength: 0.7, perSplit: 500, seed: 6)
    #expect(c.samples.map(\.spec.seed) != a.samples.map(\.spec.seed))
    #expect(a.samples[0].stem == "train/normal/train-000000")
    #expect(a.samples[4].stem == "train/pneumonia/train-000004")
  }

  @Test("the default split division of a total")
  func defaultCounts() {
    #expect(DatasetConfiguration.counts(total: 1000) == [.train: 600, .validation: 100, .testBiased: 100, .testUnbiased: 100, .testConfounding: 100])
    #expect(DatasetConfiguration.counts(total: 37).values.reduce(0, +) == 37)
  }
}
