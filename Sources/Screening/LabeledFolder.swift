import DICOM
public import Engine
import Foundation
public import Imaging
import PNG

/// Labelled chest X-rays laid out as class folders, the one layout isnetd trains from:
///
///     <root>/<class>/<name>.dcm          the image (any name; files starting with "." are ignored)
///     <root>/<class>/<name>.mask.png     its lung mask, same geometry, lungs > 127 (optional)
///
/// Class names are the folder names, in the order given (or sorted). See docs/data-layout.md.
public struct LabeledFolder: Sendable {
  public struct Item: Sendable, Equatable {
    public let imagePath: String
    /// The lung mask beside the image, when there is one.
    public let maskPath: String?
    public let label: Int

    public init(imagePath: String, maskPath: String?, label: Int) {
      self.imagePath = imagePath
      self.maskPath = maskPath
      self.label = label
    }
  }

  public let root: String
  public let classNames: [String]
  public let items: [Item]

  /// Lists `root`. With `classNames`, those folders must exist (in that order); otherwise every
  /// sub-folder is a class, sorted by name.
  public init(root: String, classNames: [String]? = nil) throws {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    guard manager.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw DatasetError(.notAFolder, "\(root) is not a folder")
    }
    let folders = try manager.contentsOfDirectory(atPath: root).filter { name in
      var folder: ObjCBool = false
      return !name.hasPrefix(".") && manager.fileExists(atPath: "\(root)/\(name)", isDirectory: &folder) && folder.boolValue
    }.sorted()
    let names = classNames ?? folders
    let absent = names.filter { !folders.contains($0) }
    guard absent.isEmpty else { throw DatasetError(.classFolderMissing, "\(root) has no class folder \(absent.joined(separator: ", "))") }
    guard names.count >= 2 else { throw DatasetError(.tooFewClasses, "\(root) needs at least two class folders, found \(names.count)") }
    var items: [Item] = []
    for (label, name) in names.enumerated() {
      let folder = "\(root)/\(name)"
      let files = try manager.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
      let fileSet = Set(files)
      for file in files where !file.hasSuffix(".png") {
        let stem = file.hasSuffix(".dcm") ? String(file.dropLast(4)) : file
        let mask = "\(stem).mask.png"
        items.append(Item(imagePath: "\(folder)/\(file)", maskPath: fileSet.contains(mask) ? "\(folder)/\(mask)" : nil, label: label))
      }
    }
    try self.init(root: root, classNames: names, items: items)
  }

  /// A chosen part of a labelled folder (such as one side of a split).
  public init(root: String, classNames: [String], items: [Item]) throws {
    guard !items.isEmpty else { throw DatasetError(.noImages, "\(root) holds no images") }
    self.root = root
    self.classNames = classNames
    self.items = items
  }

  /// Decodes and preprocesses every image and letterboxes its mask to the model's size, calling
  /// `progress(done, total)` as it goes. Images without a mask fail unless `allowMissingMasks`, in
  /// which case their mask is all ones (no background: only for training without heatmaps).
  public func load(with loader: InputLoader, allowMissingMasks: Bool = false,
                   progress: (Int, Int) -> Void = { _, _ in }) throws -> InMemoryDataset {
    try load(with: loader, allowMissingMasks: allowMissingMasks, segmenter: nil, progress: progress).dataset
  }

  /// As ``load(with:allowMissingMasks:progress:)``, and when `segmenter` is given, an image without a
  /// mask gets the segmenter's mask (a pseudo-mask, made at the image's original geometry and
  /// letterboxed as a drawn mask would be). A pseudo-mask the segmenter judges implausible is not used:
  /// the image gets an all-ones mask when `allowMissingMasks`, and is left out otherwise. The summary
  /// says where every mask came from.
  public func load(with loader: InputLoader, allowMissingMasks: Bool = false, segmenter: LungSegmenter?,
                   progress: (Int, Int) -> Void = { _, _ in }) throws -> LoadedDataset {
    var samples: [TrainingSample] = []
    var summary = DatasetSummary()
    samples.reserveCapacity(items.count)
    for (index, item) in items.enumerated() {
      let loaded = try loader.load(path: item.imagePath)
      let input = loaded.input
      var mask: [Float]?
      if let maskPath = item.maskPath {
        mask = try LungMask.read(path: maskPath).letterboxed(by: input.geometry)
        summary.drawnMasks += 1
      } else if let segmenter {
        let segmentation = try segmenter.segment(loaded.image.image)
        if segmentation.isPlausible {
          mask = try segmentation.lungMask.letterboxed(by: input.geometry)
          summary.pseudoMasks.append(item.imagePath)
        } else {
          summary.rejectedPseudoMasks[item.imagePath] = segmentation.reasons
        }
      } else if !allowMissingMasks {
        throw DatasetError(.lungMaskMissing, "\(item.imagePath) has no lung mask (\(item.imagePath.replacingOccurrences(of: ".dcm", with: "")).mask.png)")
      }
      if mask == nil && allowMissingMasks {
        mask = [Float](repeating: 1, count: input.width * input.height)
        summary.fullImageMasks += 1
      }
      if let mask {
        let image = Array(repeating: input.values, count: loader.channels).flatMap { $0 }
        samples.append(TrainingSample(image: image, mask: mask, label: item.label))
      } else {
        summary.excluded.append(item.imagePath)
      }
      progress(index + 1, items.count)
    }
    summary.images = samples.count
    let dataset = try InMemoryDataset(samples: samples, imageShape: [loader.channels, loader.preprocessing.height, loader.preprocessing.width])
    return LoadedDataset(dataset: dataset, summary: summary)
  }
}

/// A labelled folder loaded for training, and where its masks came from.
public struct LoadedDataset: Sendable {
  public let dataset: InMemoryDataset
  public let summary: DatasetSummary
}

/// Where the masks of a loaded dataset came from: drawn (`<name>.mask.png`), pseudo-masks made by a lung
/// segmenter, or all-ones masks for images without one.
public struct DatasetSummary: Sendable, Equatable {
  /// Images in the dataset.
  public var images = 0
  /// Masks read from `<name>.mask.png`.
  public var drawnMasks = 0
  /// Images whose mask the segmenter made (paths).
  public var pseudoMasks: [String] = []
  /// Images whose pseudo-mask was implausible, with the segmenter's reasons; not used as masks.
  public var rejectedPseudoMasks: [String: [ImplausibilityReason]] = [:]
  /// Images given an all-ones mask (no mask, and missing masks allowed).
  public var fullImageMasks = 0
  /// Images left out for want of a usable mask (paths).
  public var excluded: [String] = []

  public init() {}

  /// "12 drawn, 3 pseudo-masks from the segmenter, 1 pseudo-masks rejected as implausible: PATH
  /// (reasons), 0 all-ones, 1 images left out".
  public var maskSources: String {
    let rejected = rejectedPseudoMasks.sorted { $0.key < $1.key }
      .map { "\($0.key) (\($0.value.map(\.rawValue).joined(separator: ", ")))" }
    return "\(drawnMasks) drawn, \(pseudoMasks.count) pseudo-masks from the segmenter, "
      + "\(rejected.count) pseudo-masks rejected as implausible\(rejected.isEmpty ? "" : ": " + rejected.joined(separator: "; ")), "
      + "\(fullImageMasks) all-ones, \(excluded.count) images left out"
  }
}

/// A binary lung mask at some image's geometry (1 = lungs).
public struct LungMask: Sendable, Equatable {
  public let image: GrayImage

  public init(image: GrayImage) {
    self.image = image
  }

  /// Reads a PNG mask: grey values above 127 are lungs.
  public static func read(path: String) throws -> LungMask {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let png = try PNGImage(decoding: Array(data))
    let channels = png.format.channels
    let pixels = stride(from: 0, to: png.pixels.count, by: channels).map { Float(png.pixels[$0] > 127 ? 1 : 0) }
    return LungMask(image: GrayImage(width: png.width, height: png.height, pixels: pixels))
  }

  /// The mask at the model's size, through the same letterbox as its image: each target pixel takes
  /// the mask value under its centre (nearest neighbour keeps it binary); padding is background.
  public func letterboxed(by geometry: LetterboxGeometry) throws -> [Float] {
    guard image.width == geometry.sourceWidth, image.height == geometry.sourceHeight else {
      throw DatasetError(.lungMaskMismatch, "the mask is \(image.width)x\(image.height), its image \(geometry.sourceWidth)x\(geometry.sourceHeight)")
    }
    var values = [Float](repeating: 0, count: geometry.targetWidth * geometry.targetHeight)
    for y in 0..<geometry.targetHeight {
      for x in 0..<geometry.targetWidth where geometry.isContent(x: x, y: y) {
        let source = geometry.sourcePoint(fromTarget: Point(x: Double(x) + 0.5, y: Double(y) + 0.5))
        let column = Swift.min(Swift.max(Int(source.x), 0), image.width - 1)
        let row = Swift.min(Swift.max(Int(source.y), 0), image.height - 1)
        values[y * geometry.targetWidth + x] = image[column, row]
      }
    }
    return values
  }
}

/// A problem with labelled data on disk (docs/data-layout.md): a code from a closed set, each with a
/// fixed sentence, plus a detail naming the folder or file.
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
  public enum Code: String, Sendable, CaseIterable, Codable {
    /// The dataset's root (or a split) is missing or is not a folder.
    case notAFolder = "dataset_not_a_folder"
    /// A class folder that was asked for (another split's classes) is missing.
    case classFolderMissing = "dataset_class_folder_missing"
    /// Fewer than two class folders.
    case tooFewClasses = "dataset_too_few_classes"
    /// The class folders hold no images.
    case noImages = "dataset_no_images"
    /// A split that the command needs (train/, validation/) is missing.
    case splitMissing = "dataset_split_missing"
    /// An image has no `<name>.mask.png`, and training needs one.
    case lungMaskMissing = "dataset_lung_mask_missing"
    /// A lung mask's size differs from its image's.
    case lungMaskMismatch = "dataset_lung_mask_mismatch"
    /// An image has no SOP Instance UID, which the frozen retraining split is decided by.
    case instanceUIDMissing = "dataset_instance_uid_missing"

    /// One sentence for people, fixed per code.
    public var sentence: String {
      switch self {
      case .notAFolder: "The dataset folder is missing or is not a folder."
      case .classFolderMissing: "A class folder of the dataset is missing."
      case .tooFewClasses: "The dataset has fewer than two class folders."
      case .noImages: "The dataset holds no images."
      case .splitMissing: "A split the command needs is missing from the dataset."
      case .lungMaskMissing: "An image of the dataset has no lung mask."
      case .lungMaskMismatch: "A lung mask's size differs from its image's."
      case .instanceUIDMissing: "An image of the dataset has no SOP Instance UID, which decides its split."
      }
    }
  }

  public let code: Code
  /// The detail, naming the folder or file.
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  /// The detail alone: it names the folder or file and reads as a sentence on the terminal.
  public var description: String { message }
}
