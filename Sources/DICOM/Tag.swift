/// A DICOM attribute tag (group, element).
public struct Tag: Hashable, Sendable, CustomStringConvertible {
  public let group: UInt16
  public let element: UInt16

  public init(_ group: UInt16, _ element: UInt16) {
    self.group = group
    self.element = element
  }

  public var description: String {
    "(\(hex(group)),\(hex(element)))"
  }

  private func hex(_ value: UInt16) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - digits.count) + digits
  }
}

extension Tag {
  public static let transferSyntaxUID = Tag(0x0002, 0x0010)
  public static let sopClassUID = Tag(0x0008, 0x0016)
  public static let sopInstanceUID = Tag(0x0008, 0x0018)
  public static let modality = Tag(0x0008, 0x0060)
  public static let rows = Tag(0x0028, 0x0010)
  public static let columns = Tag(0x0028, 0x0011)
  public static let photometricInterpretation = Tag(0x0028, 0x0004)
  public static let bitsStored = Tag(0x0028, 0x0101)
  public static let pixelRepresentation = Tag(0x0028, 0x0103)
}
