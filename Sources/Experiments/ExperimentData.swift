public import Engine
import Foundation
import Phantoms
public import Screening

/// A shortcut experiment's data, read from a folder `isnetd synth` wrote: every split present, each
/// test image's marker kind and the confounding images' marker-free twins (from its manifest.json), and
/// optionally the training data of the marker-free reference from a second such folder.
public struct ExperimentData {
  public let classNames: [String]
  /// Split name to its images, for the splits the folder holds.
  public let datasets: [String: InMemoryDataset]
  /// Test split name to each of its images' marker kind ("none" if unmarked), in the dataset's order;
  /// empty without a manifest.
  public let markers: [String: [String]]
  /// The marker-free reference's training and validation data.
  public let reference: (training: InMemoryDataset, validation: InMemoryDataset)?
  /// The confounding images against their marker-free twins; nil without a manifest or marked images.
  public let ablation: MarkerAblation?

  /// Loads the experiment's data from `root`, and the reference's from `referenceRoot`, through
  /// `loader`; `progress` hears a line per loaded part.
  public init(root: String, referenceRoot: String?, loader: InputLoader, progress: (String) -> Void) throws {
    let trainingRoot = "\(root)/\(ShortcutExperiment.trainingSplit)"
    let classNames = try LabeledFolder(root: trainingRoot).classNames
    let manifest = try Self.manifest(in: root)
    let markerKindByPath = manifest.map { manifest in
      Dictionary(manifest.files.map { ($0.path, $0.marker?.kind.rawValue ?? "none") }, uniquingKeysWith: { first, _ in first })
    }
    var datasets: [String: InMemoryDataset] = [:]
    var markers: [String: [String]] = [:]
    let splits = [ShortcutExperiment.trainingSplit, ShortcutExperiment.validationSplit] + ShortcutExperiment.testSplits
    for split in splits where FileManager.default.fileExists(atPath: "\(root)/\(split)") {
      let folder = try LabeledFolder(root: "\(root)/\(split)", classNames: classNames)
      datasets[split] = try folder.load(with: loader)
      if let markerKindByPath, ShortcutExperiment.testSplits.contains(split) {
        markers[split] = try Self.markerKinds(of: folder, split: split, byPath: markerKindByPath, manifestRoot: root)
      }
      progress("loaded \(split): \(datasets[split]!.count) images")
    }
    reference = try referenceRoot.map { referenceRoot in
      let parts = try [ShortcutExperiment.trainingSplit, ShortcutExperiment.validationSplit].map { split in
        try LabeledFolder(root: "\(referenceRoot)/\(split)", classNames: classNames).load(with: loader)
      }
      progress("loaded the marker-free reference's data: \(parts[0].count) training, \(parts[1].count) validation images")
      return (training: parts[0], validation: parts[1])
    }
    ablation = try manifest.flatMap { manifest -> MarkerAblation? in
      let ablation = try MarkerAblation(manifest: manifest, root: root, split: .testConfounding, classNames: classNames, loader: loader)
      guard !ablation.pairs.isEmpty else { return nil }
      progress("rendered \(ablation.pairs.count) marker-free twins of the confounding test images")
      return ablation
    }
    self.classNames = classNames
    self.datasets = datasets
    self.markers = markers
  }

  /// The manifest.json `isnetd synth` writes (each file's marker and seed); nil without one.
  private static func manifest(in root: String) throws -> DatasetManifest? {
    let path = "\(root)/manifest.json"
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    return try DatasetManifest.decode(Data(contentsOf: URL(fileURLWithPath: path)))
  }

  /// The marker kind of each of `folder`'s images, in the folder's order.
  private static func markerKinds(of folder: LabeledFolder, split: String, byPath kinds: [String: String],
                                  manifestRoot: String) throws -> [String] {
    try folder.items.map { item in
      guard let kind = kinds[split + item.imagePath.dropFirst(folder.root.count)] else {
        throw EngineError.invalidInput(
          "\(item.imagePath) is not in \(manifestRoot)/manifest.json; was the folder changed after isnetd synth?")
      }
      return kind
    }
  }
}
