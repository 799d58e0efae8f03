import DICOM
import Foundation
public import Registry
public import Screening

/// A site's labelled chest X-rays for retraining: one folder of class folders (the layout of
/// docs/data-layout.md, without train/ and validation/), every image given its part by its SOP
/// Instance UID (``FrozenSplit``). Files that cannot be read are listed with their reason instead of
/// stopping the load; an image without a lung mask will get a pseudo-mask from the bundle's segmenter.
public struct SiteDataset: Sendable {
  public struct Image: Sendable, Equatable {
    public let path: String
    /// Its lung mask, when one was given; nil: a pseudo-mask will be made.
    public let maskPath: String?
    public let label: Int
    public let sopInstanceUID: String
    public let part: FrozenSplit.Part
  }

  /// A file of the class folders that is not usable, with its closed code.
  public struct Unreadable: Sendable, Equatable {
    public let path: String
    public let problem: Problem
  }

  public let root: String
  public let classNames: [String]
  public let split: FrozenSplit
  public let images: [Image]
  public let unreadable: [Unreadable]

  /// Lists `root`'s class folders (``LabeledFolder``) and reads each image's SOP Instance UID.
  public init(root: String, split: FrozenSplit, classNames: [String]? = nil) throws {
    let folder = try LabeledFolder(root: root, classNames: classNames)
    var images: [Image] = []
    var unreadable: [Unreadable] = []
    for item in folder.items {
      do {
        guard let uid = try DICOMFile(path: item.imagePath).metadata().sopInstanceUID, !uid.isEmpty else {
          unreadable.append(Unreadable(path: item.imagePath, problem: Problem(DatasetError(.instanceUIDMissing, "\(item.imagePath) has no (0008,0018)"))))
          continue
        }
        images.append(Image(path: item.imagePath, maskPath: item.maskPath, label: item.label, sopInstanceUID: uid,
                            part: split.part(ofInstance: uid)))
      } catch {
        unreadable.append(Unreadable(path: item.imagePath, problem: Problem(error)))
      }
    }
    self.root = folder.root
    self.classNames = folder.classNames
    self.split = split
    self.images = images
    self.unreadable = unreadable
  }

  public func images(in part: FrozenSplit.Part) -> [Image] { images.filter { $0.part == part } }

  /// Per class: images in each part, with and without a lung mask.
  public struct ClassCounts: Sendable, Equatable, Codable {
    public var className: String
    public var train = 0
    public var validation = 0
    public var withMask = 0
    public var needingPseudoMask = 0
  }

  public var countsPerClass: [ClassCounts] {
    classNames.enumerated().map { label, name in
      var counts = ClassCounts(className: name)
      for image in images where image.label == label {
        if image.part == .train { counts.train += 1 } else { counts.validation += 1 }
        if image.maskPath == nil { counts.needingPseudoMask += 1 } else { counts.withMask += 1 }
      }
      return counts
    }
  }

  /// Instances that occur more than once (copies of one image, perhaps under two classes), by UID.
  public var repeatedInstances: [String: [String]] {
    Dictionary(grouping: images, by: \.sopInstanceUID).filter { $0.value.count > 1 }.mapValues { $0.map(\.path) }
  }

  /// Instances not used by the registry's last retrain (all of them when there was none, or when it
  /// recorded none), and that retrain's version.
  public func newInstances(since registry: ModelRegistry) throws -> (count: Int, lastRetrain: String?) {
    let last = registry.latestRegistration()
    let known = try last.flatMap { try registry.instances(of: $0.version) } ?? []
    return (Set(images.map(\.sopInstanceUID)).subtracting(known).count, last?.version)
  }
}
