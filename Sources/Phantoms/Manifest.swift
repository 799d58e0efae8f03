public import Foundation

/// `manifest.json` at the root of a synthetic dataset (or of `samples/`): how it was generated and
/// every file in it. Encoded with sorted keys and no timestamps, so the same configuration gives the
/// same bytes.
public struct DatasetManifest: Sendable, Codable, Equatable {
  /// "isnetd-synthetic-dataset" or "isnetd-samples".
  public var format: String
  /// 1.
  public var formatVersion: Int
  /// What wrote it ("isnetd 0.1.0-dev synth").
  public var generator: String
  /// That the images are phantoms, not patients (``notice``).
  public var notice: String
  /// The generation parameters; nil for samples, whose recipes are fixed.
  public var configuration: DatasetConfiguration?
  /// The seed of the samples (nil for a dataset, whose seed is in the configuration).
  public var seed: UInt64?
  /// Per split: counts and how many carry which marker.
  public var splits: [Split: SplitSummary]
  /// Every DICOM file, in split order, then index.
  public var files: [ManifestEntry]

  /// The notice every manifest carries.
  public static let notice = "Synthetic chest X-ray phantoms, not patient data. Not for clinical use."

  /// A manifest of `files`; the split summaries are computed from them.
  public init(format: String = "isnetd-synthetic-dataset", generator: String, configuration: DatasetConfiguration?,
              seed: UInt64? = nil, files: [ManifestEntry]) {
    self.format = format
    formatVersion = 1
    self.generator = generator
    notice = Self.notice
    self.configuration = configuration
    self.seed = seed
    self.files = files
    var splits: [Split: SplitSummary] = [:]
    for split in Split.allCases {
      let members = files.filter { $0.split == split }
      guard !members.isEmpty else { continue }
      splits[split] = SplitSummary(members)
    }
    self.splits = splits
  }

  /// The JSON: pretty-printed, sorted keys, slashes unescaped, a final newline.
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(self) + Data("\n".utf8)
  }

  /// Reads a manifest.
  public static func decode(_ data: Data) throws -> DatasetManifest {
    try JSONDecoder().decode(DatasetManifest.self, from: data)
  }
}

/// The marker statistics of one split.
public struct SplitSummary: Sendable, Codable, Equatable {
  /// Images in the split.
  public var count: Int
  /// Images per class name.
  public var perClass: [String: Int]
  /// Images with any marker.
  public var marked: Int
  /// Images carrying their own class's marker.
  public var ownClassMarker: Int
  /// `ownClassMarker / count`: the measured marker-label agreement.
  public var ownClassMarkerFraction: Double

  init(_ entries: [ManifestEntry]) {
    count = entries.count
    perClass = Dictionary(grouping: entries, by: \.condition.rawValue).mapValues(\.count)
    marked = entries.filter { $0.marker != nil }.count
    ownClassMarker = entries.filter { $0.marker?.style == $0.condition }.count
    ownClassMarkerFraction = count == 0 ? 0 : Double(ownClassMarker) / Double(count)
  }
}

/// One DICOM file of a dataset.
public struct ManifestEntry: Sendable, Codable, Equatable {
  /// The DICOM file, relative to the manifest.
  public var path: String
  /// Its lung mask (PNG), relative to the manifest; nil for a broken file.
  public var mask: String?
  /// The split; nil for samples.
  public var split: Split?
  /// The class (key "class").
  public var condition: PhantomClass
  /// The phantom's seed: with the other fields it re-renders the image (``spec``).
  public var seed: UInt64
  /// The n of the fake patient `PHANTOM^n`.
  public var patientNumber: Int
  /// The finding difficulty it was drawn with.
  public var difficulty: Double
  /// The background marker, or nil.
  public var marker: Marker?
  /// Whether the marker is the sample's own class's; nil without a marker.
  public var markerMatchesClass: Bool?
  /// The acquisition, as written to the file.
  public var view: View
  public var modality: Acquisition.Modality
  public var photometricInterpretation: Acquisition.Photometric
  public var bitsStored: Int
  public var rescaleSlope: Double
  public var rescaleIntercept: Double
  /// "explicit-little-endian", "jpeg-lossless" or "rle".
  public var transferSyntax: Acquisition.Compression
  /// The UID of ``transferSyntax``.
  public var transferSyntaxUID: String
  /// The image size and the SOP Instance UID, as in the file.
  public var rows: Int
  public var columns: Int
  public var sopInstanceUID: String
  /// What the lungs show.
  public var finding: Finding
  /// A description (samples) or what is wrong with the file on purpose.
  public var note: String?

  enum CodingKeys: String, CodingKey {
    case path, mask, split, condition = "class", seed, patientNumber, difficulty, marker, markerMatchesClass, view
    case modality, photometricInterpretation, bitsStored, rescaleSlope, rescaleIntercept, transferSyntax
    case transferSyntaxUID, rows, columns, sopInstanceUID, finding, note
  }

  /// Encodes absent optionals as null, so every entry has every key.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(path, forKey: .path)
    try container.encode(mask, forKey: .mask)
    try container.encode(split, forKey: .split)
    try container.encode(condition, forKey: .condition)
    try container.encode(seed, forKey: .seed)
    try container.encode(patientNumber, forKey: .patientNumber)
    try container.encode(difficulty, forKey: .difficulty)
    try container.encode(marker, forKey: .marker)
    try container.encode(markerMatchesClass, forKey: .markerMatchesClass)
    try container.encode(view, forKey: .view)
    try container.encode(modality, forKey: .modality)
    try container.encode(photometricInterpretation, forKey: .photometricInterpretation)
    try container.encode(bitsStored, forKey: .bitsStored)
    try container.encode(rescaleSlope, forKey: .rescaleSlope)
    try container.encode(rescaleIntercept, forKey: .rescaleIntercept)
    try container.encode(transferSyntax, forKey: .transferSyntax)
    try container.encode(transferSyntaxUID, forKey: .transferSyntaxUID)
    try container.encode(rows, forKey: .rows)
    try container.encode(columns, forKey: .columns)
    try container.encode(sopInstanceUID, forKey: .sopInstanceUID)
    try container.encode(finding, forKey: .finding)
    try container.encode(note, forKey: .note)
  }

  /// The entry of a rendered phantom written to `path` (and its mask to `mask`).
  public init(path: String, mask: String?, split: Split?, phantom: Phantom, note: String? = nil) {
    let spec = phantom.spec
    let acquisition = spec.acquisition
    self.path = path
    self.mask = mask
    self.split = split
    condition = spec.condition
    seed = spec.seed
    patientNumber = spec.patientNumber
    difficulty = spec.difficulty
    marker = spec.marker
    markerMatchesClass = spec.marker.map { $0.style == spec.condition }
    view = acquisition.view
    modality = acquisition.modality
    photometricInterpretation = acquisition.photometric
    bitsStored = acquisition.bitsStored
    rescaleSlope = acquisition.rescaleSlope
    rescaleIntercept = acquisition.rescaleIntercept
    transferSyntax = acquisition.compression
    transferSyntaxUID = acquisition.compression.transferSyntaxUID
    rows = spec.height
    columns = spec.width
    sopInstanceUID = phantom.attributes.first { $0.keyword == "SOPInstanceUID" }?.value ?? ""
    finding = phantom.finding
    self.note = note
  }

  /// The spec that renders this entry's image again.
  public var spec: PhantomSpec {
    PhantomSpec(seed: seed, condition: condition, marker: marker, width: columns, height: rows, difficulty: difficulty,
                acquisition: Acquisition(view: view, modality: modality, photometric: photometricInterpretation,
                                         bitsStored: bitsStored, rescaleSlope: rescaleSlope,
                                         rescaleIntercept: rescaleIntercept, compression: transferSyntax),
                patientNumber: patientNumber)
  }
}
