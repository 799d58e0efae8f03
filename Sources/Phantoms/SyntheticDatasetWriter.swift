import DICOM
import Durable
import Foundation
import PNG

/// Writes phantoms to disk: DICOM through DCMTK (``DICOMWriter``), lung masks as PNG, and
/// manifest.json last and atomically. Each file depends on its spec alone, so the bytes are the same
/// for any thread count.
public struct SyntheticDatasetWriter: Sendable {
  public let root: String
  public let threads: Int

  public init(root: String, threads: Int) {
    self.root = root
    self.threads = threads
  }

  /// Renders and writes every sample of `plan` under `root` and then the manifest; returns it.
  @discardableResult
  public func write(_ plan: DatasetPlan, generator: String, progress: @escaping @Sendable () -> Void = {}) throws -> DatasetManifest {
    let manager = FileManager.default
    for folder in Set(plan.samples.map { "\($0.split.rawValue)/\($0.condition.rawValue)" }) {
      try manager.createDirectory(atPath: "\(root)/\(folder)", withIntermediateDirectories: true)
    }
    let root = self.root
    let samples = plan.samples
    let entries = try ParallelMap.map(count: samples.count, threads: threads) { index in
      let sample = samples[index]
      let phantom = PhantomRenderer.render(sample.spec)
      try Self.writeFiles(of: phantom, root: root, stem: sample.stem)
      progress()
      return ManifestEntry(path: "\(sample.stem).dcm", mask: "\(sample.stem).mask.png", split: sample.split, phantom: phantom)
    }
    let manifest = DatasetManifest(generator: generator, configuration: plan.configuration, files: entries)
    try AtomicFile.write(try manifest.encoded(), to: "\(root)/manifest.json")
    return manifest
  }

  /// Writes the fixed sample files, the truncated copy of the first, and the manifest; returns it.
  @discardableResult
  public func writeSamples(_ recipes: [PhantomSamples.Recipe], seed: UInt64, generator: String) throws -> DatasetManifest {
    let root = self.root
    var entries = try ParallelMap.map(count: recipes.count, threads: threads) { index in
      let recipe = recipes[index]
      let phantom = PhantomRenderer.render(recipe.spec)
      try Self.writeFiles(of: phantom, root: root, stem: recipe.name)
      return ManifestEntry(path: "\(recipe.name).dcm", mask: "\(recipe.name).mask.png", split: nil, phantom: phantom,
                           note: recipe.description)
    }
    let source = try Data(contentsOf: URL(fileURLWithPath: "\(root)/\(recipes[0].name).dcm"))
    let kept = Int(Double(source.count) * PhantomSamples.truncatedFraction)
    try AtomicFile.write(source.prefix(kept), to: "\(root)/\(PhantomSamples.truncatedName).dcm")
    var broken = entries[0]
    broken.path = "\(PhantomSamples.truncatedName).dcm"
    broken.mask = nil
    broken.note = "\(recipes[0].name).dcm cut to its first \(kept) of \(source.count) bytes: isnetd reports truncated"
    entries.append(broken)
    let manifest = DatasetManifest(format: "isnetd-samples", generator: generator, configuration: nil, seed: seed, files: entries)
    try AtomicFile.write(try manifest.encoded(), to: "\(root)/manifest.json")
    return manifest
  }

  /// Writes `<root>/<stem>.dcm` and `<root>/<stem>.mask.png`.
  public static func writeFiles(of phantom: Phantom, root: String, stem: String) throws {
    try writeDICOM(of: phantom, to: "\(root)/\(stem).dcm")
    try writeMask(of: phantom, to: "\(root)/\(stem).mask.png")
  }

  /// Writes the phantom's DICOM file through DCMTK (``DICOMWriter``), in its transfer syntax, atomically.
  public static func writeDICOM(of phantom: Phantom, to path: String) throws {
    let spec = phantom.spec
    let acquisition = spec.acquisition
    let attributes = Dictionary(uniqueKeysWithValues: phantom.attributes.map { (Tag($0.group, $0.element), $0.value) })
    let pixels = DICOMWriter.Pixels(
      columns: spec.width, rows: spec.height, bitsStored: acquisition.bitsStored,
      photometric: acquisition.photometric == .monochrome1 ? .monochrome1 : .monochrome2, samples: phantom.storedValues)
    let encoding: DICOMWriter.Encoding = switch acquisition.compression {
    case .none: .explicitLittleEndian
    case .jpegLossless: .jpegLossless
    case .rle: .rle
    }
    try AtomicFile.replace(path) { temporary in
      try DICOMWriter(attributes: attributes).write(pixels, to: temporary, encoding: encoding)
    }
  }

  /// Writes the phantom's lung mask as an 8-bit grey PNG (255 = lungs), atomically.
  public static func writeMask(of phantom: Phantom, to path: String) throws {
    let mask = try PNGImage(width: phantom.spec.width, height: phantom.spec.height, format: .gray, pixels: phantom.maskBytes)
    try AtomicFile.write(Data(mask.encoded()), to: path)
  }
}
