import Foundation

/// Which files the model screens. Anything else is not screened, with one of the `*_not_screened`
/// codes and a reason; lateral views are reported as such, never classified. Values compare after
/// trimming spaces and upper-casing.
public struct AcceptanceRules: Sendable, Equatable, Codable {
  /// Accepted Modality (0008,0060) values.
  public var modalities: Set<String>
  /// Accepted SOP Class UIDs; each must also be an image storage class.
  public var sopClassUIDs: Set<String>
  /// Accepted Body Part Examined (0018,0015) values, checked only when the attribute is present.
  public var bodyParts: Set<String>
  /// Accepted View Position (0018,5101) values.
  public var views: Set<String>
  /// Whether a file without View Position is screened (many CR writers leave it empty).
  public var acceptMissingView: Bool

  /// View Position values of lateral and decubitus views, reported as laterals.
  public static let lateralViews: Set<String> = ["LL", "RL", "LLD", "RLD", "LAT", "LATERAL", "LLAT", "RLAT"]

  /// CR or DX, CR or DX image storage, body part chest (CHEST, THORAX, LUNG) when present, PA or AP view
  /// (screened also when the view is absent).
  public init(
    modalities: Set<String> = ["CR", "DX"],
    sopClassUIDs: Set<String> = [
      SOPClass.computedRadiography, SOPClass.digitalXRayForPresentation, SOPClass.digitalXRayForProcessing,
    ],
    bodyParts: Set<String> = ["CHEST", "THORAX", "LUNG"],
    views: Set<String> = ["PA", "AP"],
    acceptMissingView: Bool = true
  ) {
    self.modalities = Set(modalities.map(Self.normalized))
    self.sopClassUIDs = sopClassUIDs
    self.bodyParts = Set(bodyParts.map(Self.normalized))
    self.views = Set(views.map(Self.normalized))
    self.acceptMissingView = acceptMissingView
  }

  /// Throws the first rule `metadata` breaks, checked in the order modality, SOP class, body part, view.
  public func check(_ metadata: DICOMMetadata) throws(DICOMError) {
    let modality = metadata.modality.map(Self.normalized) ?? ""
    guard modalities.contains(modality) else {
      throw DICOMError(.modalityNotScreened,
                       modality.isEmpty
                         ? "Modality is absent" : "Modality is \(modality), screened are \(Self.list(modalities))")
    }
    guard let sopClass = metadata.sopClassUID else {
      throw DICOMError(.sopClassNotScreened, "SOP Class UID is absent")
    }
    guard sopClassUIDs.contains(sopClass), SOPClass.isImage(sopClass) else {
      throw DICOMError(.sopClassNotScreened, "SOP class is \(metadata.sopClassName ?? sopClass)")
    }
    if let bodyPart = metadata.bodyPartExamined.map(Self.normalized), !bodyPart.isEmpty, !bodyParts.contains(bodyPart) {
      throw DICOMError(.bodyPartNotScreened, "Body Part Examined is \(bodyPart), screened are \(Self.list(bodyParts))")
    }
    let view = metadata.viewPosition.map(Self.normalized) ?? ""
    if view.isEmpty {
      guard acceptMissingView else { throw DICOMError(.viewNotScreened, "View Position is absent") }
      return
    }
    if Self.lateralViews.contains(view) {
      throw DICOMError(.viewNotScreened, "lateral view (View Position \(view)); only frontal views are screened")
    }
    guard views.contains(view) else {
      throw DICOMError(.viewNotScreened, "View Position is \(view), screened are \(Self.list(views))")
    }
  }

  static func normalized(_ value: String) -> String {
    value.trimmingCharacters(in: .whitespaces).uppercased()
  }

  private static func list(_ values: Set<String>) -> String { values.sorted().joined(separator: ", ") }
}
