/// The splits of a synthetic dataset and what their background markers mean.
public enum Split: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable, Comparable {
  case train
  case validation
  /// Biased like training.
  case testBiased = "test-biased"
  /// No markers at all.
  case testUnbiased = "test-unbiased"
  /// Every sample carries the marker of a class other than its own.
  case testConfounding = "test-confounding"

  /// How markers are assigned in a split.
  public enum MarkerPolicy: String, Sendable, Codable {
    /// With probability `strength` the sample's own class's marker, otherwise as ``BiasConfiguration/otherwise`` says.
    case biased
    /// No marker.
    case none
    /// The marker of another class, uniformly among the others.
    case confounding
  }

  /// How markers are assigned in this split.
  public var markerPolicy: MarkerPolicy {
    switch self {
    case .train, .validation, .testBiased: .biased
    case .testUnbiased: .none
    case .testConfounding: .confounding
    }
  }

  /// Splits order as ``allCases``: train, validation, test-biased, test-unbiased, test-confounding.
  public static func < (a: Split, b: Split) -> Bool {
    allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
  }
}

/// How strongly background markers are tied to the class in the biased splits.
public struct BiasConfiguration: Sendable, Codable, Equatable, Hashable {
  /// What an unmatched sample of a biased split carries.
  public enum Otherwise: String, Sendable, Codable, CaseIterable {
    /// No marker: markers are present in a fraction `strength` of the samples, always their own class's.
    case noMarker = "no-marker"
    /// The marker of another class, uniformly among the others: every sample is marked, and a fraction
    /// `strength` with its own class's marker.
    case otherClassMarker = "other-class-marker"
  }

  /// The probability, in [0, 1], that a sample of a biased split carries its own class's marker.
  public var strength: Double
  /// What the samples of a biased split that miss their own class's marker carry.
  public var otherwise: Otherwise
  /// The kinds a marker is drawn from, uniformly, one per marked sample.
  public var kinds: [MarkerKind]

  /// A bias; traps on a strength outside [0, 1] or no kinds.
  public init(strength: Double = 0.9, otherwise: Otherwise = .noMarker, kinds: [MarkerKind] = MarkerKind.allCases) {
    precondition((0...1).contains(strength), "the bias strength is in [0, 1]")
    precondition(!kinds.isEmpty, "at least one marker kind")
    self.strength = strength
    self.otherwise = otherwise
    self.kinds = kinds
  }
}

/// Everything a synthetic dataset is generated from. The same configuration gives the same dataset.
public struct DatasetConfiguration: Sendable, Codable, Equatable {
  /// The dataset seed every sample seed derives from.
  public var seed: UInt64
  /// The classes, at least two; samples of a split cycle through them in this order, so each class gets
  /// the same number (± 1).
  public var classes: [PhantomClass]
  /// Images per split; splits with 0 are not written.
  public var counts: [Split: Int]
  /// Image size in pixels.
  public var width: Int
  public var height: Int
  /// Finding difficulty, 0 to 1 (see ``FindingGenerator``).
  public var difficulty: Double
  /// How markers follow the class in the biased splits.
  public var bias: BiasConfiguration
  /// How views, modalities, pixel encodings and transfer syntaxes are drawn.
  public var acquisition: AcquisitionMix

  /// A configuration; traps on fewer than two distinct classes, a negative count or a difficulty outside [0, 1].
  public init(seed: UInt64 = 0, classes: [PhantomClass] = PhantomClass.allCases,
              counts: [Split: Int] = DatasetConfiguration.counts(total: 1000), width: Int = 256, height: Int = 256,
              difficulty: Double = 0.5, bias: BiasConfiguration = BiasConfiguration(),
              acquisition: AcquisitionMix = AcquisitionMix()) {
    precondition(classes.count >= 2 && Set(classes).count == classes.count, "at least two distinct classes")
    precondition(counts.values.allSatisfy { $0 >= 0 }, "counts are not negative")
    precondition((0...1).contains(difficulty), "difficulty is in [0, 1]")
    self.seed = seed
    self.classes = classes
    self.counts = counts
    self.width = width
    self.height = height
    self.difficulty = difficulty
    self.bias = bias
    self.acquisition = acquisition
  }

  /// The default division of a total: 10 % (rounded down) to validation and to each test split, the
  /// rest (about 60 %) to train.
  public static func counts(total: Int) -> [Split: Int] {
    precondition(total >= 0, "a total of zero or more")
    let tenth = total / 10
    return [.train: total - 4 * tenth, .validation: tenth, .testBiased: tenth, .testUnbiased: tenth, .testConfounding: tenth]
  }
}

/// One sample of a planned dataset: where it goes and the spec that renders it.
public struct PlannedSample: Sendable, Equatable {
  /// The split the sample belongs to.
  public let split: Split
  /// The position in its split, from 0.
  public let index: Int
  /// What renders it: seed, class, marker, size, difficulty, acquisition, patient number.
  public let spec: PhantomSpec

  /// The class (folder) of the sample.
  public var condition: PhantomClass { spec.condition }

  /// The path without extension relative to the dataset root: `<split>/<class>/<split>-<index>`.
  public var stem: String {
    let number = String(index)
    return "\(split.rawValue)/\(condition.rawValue)/\(split.rawValue)-\(String(repeating: "0", count: max(0, 6 - number.count)))\(number)"
  }
}

/// Every sample of a dataset, decided before any pixel is drawn: split, class, seed, acquisition and
/// marker. Cheap (no rendering), so marker statistics can be checked on any number of samples.
///
/// Sample `i` of a split has class `classes[i % classes.count]` and a seed derived from the dataset
/// seed, the split and `i` (53 bits, exact in any JSON reader). Its marker is drawn from its own
/// stream: in a biased split, with probability `strength` the marker of its own class, otherwise none
/// (or another class's, see ``BiasConfiguration/Otherwise``); in `test-unbiased` none; in
/// `test-confounding` another class's, uniformly. The kind is uniform over the configured kinds.
public struct DatasetPlan: Sendable {
  /// What the plan was made from.
  public let configuration: DatasetConfiguration
  /// All samples, split by split in ``Split`` order, each split in index order.
  public let samples: [PlannedSample]

  /// Plans every sample of `configuration`; no pixel is drawn.
  public init(_ configuration: DatasetConfiguration) {
    self.configuration = configuration
    var samples: [PlannedSample] = []
    var patient = 0
    for split in Split.allCases {
      for index in 0..<(configuration.counts[split] ?? 0) {
        patient += 1
        samples.append(Self.sample(split: split, index: index, patientNumber: patient, configuration: configuration))
      }
    }
    self.samples = samples
  }

  /// The samples of one split, in index order.
  public func samples(in split: Split) -> [PlannedSample] {
    samples.filter { $0.split == split }
  }

  /// The fraction of the samples of `split` that carry their own class's marker (0 for an empty split).
  public func ownMarkerFraction(in split: Split) -> Double {
    let members = samples(in: split)
    guard !members.isEmpty else { return 0 }
    return Double(members.filter { $0.spec.marker?.style == $0.condition }.count) / Double(members.count)
  }

  static func sample(split: Split, index: Int, patientNumber: Int, configuration: DatasetConfiguration) -> PlannedSample {
    let classes = configuration.classes
    let condition = classes[index % classes.count]
    let seed = SplitMix64.derive(configuration.seed, SplitMix64.code("sample"), SplitMix64.code(split.rawValue),
                                 UInt64(index)) & ((1 << 53) - 1)
    var random = SplitMix64(seed: SplitMix64.derive(seed, SplitMix64.code("marker-assignment")))
    let bias = configuration.bias
    let others = classes.filter { $0 != condition }
    // Always the same draws, whatever the policy: a matching coin, another class, a kind.
    let matches = random.chance(bias.strength)
    let other = random.pick(others)
    let kind = random.pick(bias.kinds)
    let style: PhantomClass?
    switch split.markerPolicy {
    case .biased: style = matches ? condition : (bias.otherwise == .noMarker ? nil : other)
    case .none: style = nil
    case .confounding: style = other
    }
    let spec = PhantomSpec(
      seed: seed, condition: condition, marker: style.map { Marker(kind: kind, style: $0) }, width: configuration.width,
      height: configuration.height, difficulty: configuration.difficulty,
      acquisition: configuration.acquisition.draw(seed: seed), patientNumber: patientNumber)
    return PlannedSample(split: split, index: index, spec: spec)
  }
}
